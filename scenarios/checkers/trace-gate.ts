/**
 * A checker's trace subscription in two parts: the kinds it always reads, and kinds it reads
 * only while it has something open (a durable write awaiting its reply, a disk error awaiting the
 * job). Closed, the bus builds no record of those kinds for it: most requests open nothing.
 */
import type { TraceBus, TraceSubscriber, TraceWhere } from '../../hw-sim/engine/trace.ts';

export class TraceGate {
  private closeOpen: (() => void) | null = null;

  /** `where`: field tests of the `always` kinds (records the checker would ignore are not built for it). */
  constructor(private readonly bus: TraceBus, private readonly fn: TraceSubscriber, always: readonly string[], private readonly whileOpen: readonly string[],
    where?: TraceWhere) {
    bus.subscribe(fn, always, where);
  }

  /** Reads the `whileOpen` kinds from now on (open) or no longer. */
  set(open: boolean): void {
    if (open === (this.closeOpen !== null)) return;
    if (open) this.closeOpen = this.bus.subscribe(this.fn, this.whileOpen);
    else {
      this.closeOpen!();
      this.closeOpen = null;
    }
  }
}
