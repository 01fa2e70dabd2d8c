/** Block layer constants and the contract between blk-mq and a driver. */
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { HwQueue } from './hw-queue.ts';
import type { Request } from './request.ts';

export const SECTOR_SHIFT = 9;
export const SECTOR_SIZE = 512;

/** REQ_OP_*: the operation of a bio or request. */
export const REQ_OP = { READ: 0, WRITE: 1, FLUSH: 2, DISCARD: 3, WRITE_ZEROES: 4 } as const;
export type ReqOp = (typeof REQ_OP)[keyof typeof REQ_OP];
export const REQ_OP_NAMES = ['read', 'write', 'flush', 'discard', 'write_zeroes'] as const;
export type ReqOpName = (typeof REQ_OP_NAMES)[number];

/** Request flags (bitmask). */
export const REQ_FUA = 1 << 0;
export const REQ_PREFLUSH = 1 << 1;
export const REQ_SYNC = 1 << 2;
export const REQ_NOMERGE = 1 << 3;
/** Flags that forbid merging (REQ_NOMERGE_FLAGS). */
export const REQ_NOMERGE_FLAGS = REQ_FUA | REQ_PREFLUSH | REQ_NOMERGE;

/** What `queueRq` returns (blk_status_t for dispatch). */
export const BLK_STS = { OK: 0, BUSY: 1, ERROR: 2 } as const;
export type BlkStatus = (typeof BLK_STS)[keyof typeof BLK_STS];

/** What the driver's timeout handler returns (enum blk_eh_timer_return). */
export const BLK_EH = { RESET_TIMER: 0, DONE: 1 } as const;
export type TimeoutAction = (typeof BLK_EH)[keyof typeof BLK_EH];

/** True for ops that move data toward the device (write direction for scheduling). */
export function opIsWrite(op: ReqOp): boolean {
  return op !== REQ_OP.READ;
}

/** True for ops that carry a data buffer. */
export function opHasData(op: ReqOp): boolean {
  return op === REQ_OP.READ || op === REQ_OP.WRITE;
}

export interface QueueLimits {
  /** Bytes; every bio's offset and length is a multiple. Default 512. */
  logicalBlockSize: number;
  /** Largest request after merging, in 512-byte sectors. Default 2560 (1.25 MiB). */
  maxSectors: number;
  /** Largest number of bios (segments) in one request. Default 128. */
  maxSegments: number;
  /** Device has a volatile write cache: PREFLUSH and FLUSH reach it. Default false. */
  writeCache: boolean;
  /** Device honours FUA itself; otherwise FUA is emulated by a post-flush. Default false. */
  fua: boolean;
  /** REQ_OP_DISCARD supported. Default false. */
  discard: boolean;
  /** REQ_OP_WRITE_ZEROES supported. Default false. */
  writeZeroes: boolean;
}

export const DEFAULT_LIMITS: QueueLimits = {
  logicalBlockSize: 512, maxSectors: 2560, maxSegments: 128, writeCache: false, fua: false, discard: false, writeZeroes: false,
};

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

export type SchedulerName = 'none' | 'mq-deadline';

export interface MqDeadlineTunables {
  readExpireNs: Ns;
  writeExpireNs: Ns;
  fifoBatch: number;
  writesStarved: number;
}
