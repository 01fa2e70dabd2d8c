/** Block layer constants and the contract between blk-mq and a driver. */
import type { Ns } from '../../hw-sim/engine/time.ts';

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

export type SchedulerName = 'none' | 'mq-deadline';

export interface MqDeadlineTunables {
  readExpireNs: Ns;
  writeExpireNs: Ns;
  fifoBatch: number;
  writesStarved: number;
}
