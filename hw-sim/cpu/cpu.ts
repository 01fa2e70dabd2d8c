/**
 * CPU model: N cores, each running one piece of work at a time. `run(core, costNs, fn)` queues
 * the work behind whatever the core already has; `fn` runs when the work completes. So CPU-heavy
 * work (crypto, compression, copies) shows up as latency, and busy time gives utilisation.
 */
import type { Engine } from '../engine/engine.ts';
import type { EventLane } from '../engine/event-lane.ts';
import { Fifo } from '../net/fifo.ts';
import { assertNs, type Ns } from '../engine/time.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_RUN = traceShape('cpu.run', ['core', 'label', 'cost', 'start']);

export interface CpuOptions {
  cores: number;
  /** Device name in the trace. Default `cpu`. */
  name?: string;
}

export class Cpu {
  readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  readonly cores: number;
  private readonly busyUntilNs: Ns[];
  /** Work charged so far per core, including work queued to finish in the future. */
  private readonly committedNs: Ns[];
  private readonly jobs: number[];
  /**
   * Per core, the completions of run() work: their times never decrease (each waits behind the
   * last), so one event lane and a FIFO of callbacks per core replace an event per item.
   */
  private readonly lanes: EventLane[] = [];
  private readonly done: Fifo<() => void>[] = [];

  constructor(private readonly engine: Engine, readonly host: string, opts: CpuOptions) {
    this.src = `${host}/${opts.name ?? 'cpu'}`;
    this.traceSrc = traceSource(this.src);
    if (!Number.isInteger(opts.cores) || opts.cores < 1) {
      throw new RangeError(`${this.src}: core count must be a positive integer, got ${opts.cores}`);
    }
    this.cores = opts.cores;
    this.busyUntilNs = new Array<Ns>(opts.cores).fill(0);
    this.committedNs = new Array<Ns>(opts.cores).fill(0);
    this.jobs = new Array<number>(opts.cores).fill(0);
    for (let c = 0; c < opts.cores; c++) {
      const q = new Fifo<() => void>();
      this.done.push(q);
      this.lanes.push(engine.lane(() => q.shift()(), `${this.src}/core${c}`));
    }
  }

  /**
   * Charges `costNs` on `core` after the work already queued there; `fn` runs at completion.
   * Returns the completion time.
   */
  run(core: number, costNs: Ns, fn: () => void, label = ''): Ns {
    this.check(core);
    // The message is built only for a bad cost (a template literal per call allocates).
    if (!Number.isSafeInteger(costNs) || costNs < 0) assertNs(costNs, `${this.src}: cost of '${label}' on core ${core}`);
    const now = this.engine.now;
    const prev = this.busyUntilNs[core]!;
    const start = prev > now ? prev : now;
    const end = start + costNs;
    this.busyUntilNs[core] = end;
    this.committedNs[core]! += costNs;
    this.jobs[core]!++;
    const tr = this.engine.trace;
    if (tr.enabled === true) TRACE_RUN.emit(tr, this.traceSrc, core, label, costNs, start); // end = start + cost
    this.done[core]!.push(fn);
    this.lanes[core]!.post(end);
    return end;
  }

  /**
   * Work the running code does inline (no completion event, nothing waits for it): the core is
   * busy `costNs` more after what it already has, so the next work queued there starts later.
   * For per-request and per-packet work on a path that must not add an event per item. `label`
   * names it in a bad-cost error only.
   */
  charge(core: number, costNs: Ns, label = ''): Ns {
    this.check(core);
    if (!Number.isSafeInteger(costNs) || costNs < 0) assertNs(costNs, `${this.src}: cost of '${label}' on core ${core}`);
    const now = this.engine.now;
    const prev = this.busyUntilNs[core]!;
    const start = prev > now ? prev : now;
    this.busyUntilNs[core] = start + costNs;
    this.committedNs[core]! += costNs;
    this.jobs[core]!++;
    // No trace record: several per request would double the trace's CPU records; busy time has it.
    return start + costNs;
  }

  /** Time the core becomes idle (≤ now when it is idle). */
  busyUntil(core: number): Ns {
    this.check(core);
    return this.busyUntilNs[core]!;
  }

  /** Busy time of `core` up to now (queued work counts only for the part already executed). */
  busyNs(core: number): Ns {
    this.check(core);
    // Work queued for the future is one contiguous stretch ending at busyUntil.
    const ahead = this.busyUntilNs[core]! - this.engine.now;
    return this.committedNs[core]! - (ahead > 0 ? ahead : 0);
  }

  /** Fraction of [sinceNs, now] the core was busy; pass the busyNs read at sinceNs for a window. */
  utilisation(core: number, sinceNs: Ns = 0, busyAtSinceNs: Ns = 0): number {
    const span = this.engine.now - sinceNs;
    return span > 0 ? (this.busyNs(core) - busyAtSinceNs) / span : 0;
  }

  /** Work items submitted to the core so far. */
  jobCount(core: number): number {
    this.check(core);
    return this.jobs[core]!;
  }

  /** The core that becomes idle first (lowest index on ties). */
  leastLoaded(): number {
    const now = this.engine.now;
    let best = 0;
    let bestAt = Math.max(this.busyUntilNs[0]!, now);
    for (let i = 1; i < this.cores; i++) {
      const at = Math.max(this.busyUntilNs[i]!, now);
      if (at < bestAt) {
        best = i;
        bestAt = at;
      }
    }
    return best;
  }

  private check(core: number): void {
    if (!Number.isInteger(core) || core < 0 || core >= this.cores) {
      throw new RangeError(`${this.src}: no core ${core} (cores 0..${this.cores - 1})`);
    }
  }
}
