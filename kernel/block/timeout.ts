/**
 * Request timeouts: one kernel timer per queue, armed for the earliest deadline (as blk-mq's
 * timeout work), so issuing a request costs no timer operation unless it has the earliest
 * deadline. On expiry every in-flight request past its deadline goes to the queue's handler.
 */
import type { KernelTimer } from '../core/timers.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import { RQ_STATE, type Request } from './request.ts';

export class RqTimeouts {
  private readonly timer: KernelTimer;

  constructor(
    makeTimer: (fn: () => void, label: string) => KernelTimer,
    label: string,
    /** The engine's clock (an object read, not a closure: optimised code would embed a closure that dies with its world). */
    private readonly clock: { readonly now: Ns },
    /** The hardware queues' request pools. */
    private readonly hctxs: readonly { readonly rqs: readonly Request[] }[],
    private readonly onTimeout: (rq: Request) => void,
  ) {
    this.timer = makeTimer(() => this.fire(), label);
  }

  /** Makes sure the timer fires no later than `rq`'s deadline. */
  watch(rq: Request): void {
    const exp = this.timer.expires;
    if (exp === undefined || exp > rq.deadlineNs) this.timer.mod(Math.max(0, rq.deadlineNs - this.clock.now));
  }

  stop(): void {
    this.timer.del();
  }

  private fire(): void {
    const now = this.clock.now;
    let next = Number.POSITIVE_INFINITY;
    for (const h of this.hctxs) {
      for (const rq of h.rqs) {
        if (rq.state !== RQ_STATE.INFLIGHT) continue;
        if (rq.deadlineNs <= now) this.onTimeout(rq);
        if (rq.state === RQ_STATE.INFLIGHT && rq.deadlineNs < next) next = rq.deadlineNs;
      }
    }
    if (next !== Number.POSITIVE_INFINITY && !this.timer.pending) this.timer.mod(Math.max(0, next - now));
  }
}
