/** The driver contract of blk-mq, apart from the vocabulary (types.ts) so the two import in one direction. */
import type { HwQueue } from './hw-queue.ts';
import type { Request } from './request.ts';
import type { BlkStatus, TimeoutAction } from './types.ts';

/** The driver side of blk-mq (struct blk_mq_ops). */
export interface BlkMqOps {
  /**
   * Takes a request. OK: the driver owns it until it calls blkMqComplete/blkMqRequeue (it may
   * complete it later, from any context, or synchronously). BUSY: blk-mq keeps it and retries
   * on the next completion or after a short delay. ERROR: blk-mq ends it with EIO.
   * `last` is false when more requests follow at once (a hint to batch, e.g. cork a socket).
   */
  queueRq(hctx: HwQueue, rq: Request, last: boolean): BlkStatus;
  /** Called after a dispatch batch that ended on a request sent with `last` false. */
  commitRqs?(hctx: HwQueue): void;
  /**
   * The request's deadline passed. RESET_TIMER: give it another timeout period. DONE: the
   * driver has dealt with it (blkMqRequeue or blkMqComplete); if it is still in flight, blk-mq
   * ends it with ETIMEDOUT.
   */
  timeout?(rq: Request): TimeoutAction;
  /** Called once per preallocated request: set `rq.pdu` (driver-private per-request data). */
  initRequest?(rq: Request): void;
}
