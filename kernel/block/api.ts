/**
 * The calls a blk-mq driver makes on a request it owns (after queueRq returned OK):
 * complete it (success or errno), give it back for re-issue, or end it at once.
 */
import type { HwQueue } from './hw-queue.ts';
import { RQ_STATE, type Request } from './request.ts';

/**
 * blk_mq_complete_request: `errno` 0 for success. Ends the request in the BLOCK softirq of the
 * calling core. Returns false (and counts a stale completion) when the request is not in
 * flight any more (already completed, requeued or timed out): a late reply is harmless.
 */
export function blkMqComplete(rq: Request, errno = 0): boolean {
  return rq.q.complete(rq, errno);
}

/** blk_mq_requeue_request: re-issue later (the request keeps its tag). False if not in flight. */
export function blkMqRequeue(rq: Request, kick = true): boolean {
  return rq.q.requeue(rq, kick);
}

/**
 * blk_mq_end_request: ends an in-flight request now, without the softirq hop. Returns false
 * (a stale call, counted) when the request is not in flight.
 */
export function blkMqEndRequest(rq: Request, errno: number): boolean {
  if (rq.state !== RQ_STATE.INFLIGHT) return rq.q.complete(rq, errno); // counts it as stale
  rq.q.endRequest(rq, errno);
  return true;
}

/** blk_mq_tag_to_rq: the request holding driver tag `tag`, or null. */
export function blkMqTagToRq(hctx: HwQueue, tag: number): Request | null {
  return hctx.tagToRq(tag);
}

/** blk_mq_run_hw_queue from a fresh event (e.g. a connection came back after BUSY). */
export function blkMqKick(hctx: HwQueue): void {
  hctx.q.kick(hctx);
}
