/**
 * A request: the unit blk-mq dispatches. Requests are preallocated per hardware queue (one per
 * tag, or per scheduler tag) and reused; a request is a plain record of fields, never spread.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { Bio } from './bio.ts';
import { REQ_OP, SECTOR_SHIFT, type ReqOp } from './types.ts';

/** Where a request is in its life. */
export const RQ_STATE = {
  FREE: 0,
  /** Allocated, in a plug or the I/O scheduler: may still merge. */
  QUEUED: 1,
  /** On the hardware queue's dispatch list (busy retry or requeue). */
  DISPATCH: 2,
  /** Owned by the driver. */
  INFLIGHT: 3,
  /** Completed by the driver, waiting for the BLOCK softirq. */
  COMPLETING: 4,
} as const;
export type RqState = (typeof RQ_STATE)[keyof typeof RQ_STATE];

/** What a request needs of its request queue (RequestQueue is one): the ways it ends. */
export interface RequestEnds {
  complete(rq: Request, errno: number): boolean;
  requeue(rq: Request, kick?: boolean): boolean;
  endRequest(rq: Request, errno: number): void;
}

/** Step of a flush sequence a request carries (PREFLUSH → DATA → POSTFLUSH). */
export const FLUSH_STEP = { PRE: 1, DATA: 2, POST: 4 } as const;

export class Request {
  /** Driver tag in [0, queue depth), or -1 while the request has none. */
  tag = -1;
  /** Unique id of this use of the request (trace key). */
  id = 0;
  /** Bumped on every issue to the driver: lets a driver spot a stale reply. */
  gen = 0;
  op: ReqOp = REQ_OP.READ;
  flags = 0;
  sector = 0;
  nrSectors = 0;
  readonly bios: (Bio | null)[];
  nrBios = 0;
  state: RqState = RQ_STATE.FREE;
  errno = 0;
  /** Submitting core. */
  cpu = 0;
  /** Submission time of the bio that created the request. */
  startNs: Ns = 0;
  /** Allocated (tag taken). */
  queuedNs: Ns = 0;
  dispatchedNs: Ns = -1;
  issuedNs: Ns = 0;
  completedNs: Ns = 0;
  deadlineNs: Ns = 0;
  /** Set when this request is one step of a bio's flush sequence. */
  flushOwner: Bio | null = null;
  flushStep = 0;
  requeues = 0;
  timeouts = 0;
  /** Driver-private per-request data, set once by BlkMqOps.initRequest. */
  pdu: unknown = null;
  /** Scheduler-private: FIFO expiry. */
  fifoTime: Ns = 0;

  constructor(
    /** The request queue it belongs to: how it ends (blk-mq's rq->q). */
    readonly q: RequestEnds,
    /** Index of its hardware queue in that request queue (rq->mq_hctx). */
    readonly hctxIndex: number,
    readonly index: number,
    maxSegments: number,
  ) {
    this.bios = new Array<Bio | null>(maxSegments).fill(null);
  }

  get bytes(): number {
    return this.nrSectors << SECTOR_SHIFT;
  }

  get endSector(): number {
    return this.sector + this.nrSectors;
  }

  /** Byte offset on the device. */
  get offset(): number {
    return this.sector * 512;
  }

  bio(i: number): Bio {
    const b = i < this.nrBios ? this.bios[i] : null;
    if (!b) throw new RangeError(`request ${this.id}: no bio ${i} (has ${this.nrBios})`);
    return b;
  }
}

/** Copies a write request's payload, bio by bio, into `dst` at `dstOff`. Returns bytes copied. */
export function rqCopyOut(rq: Request, dst: Uint8Array, dstOff = 0): number {
  let off = dstOff;
  for (let i = 0; i < rq.nrBios; i++) {
    const b = rq.bios[i]!;
    if (b.data) dst.set(b.data.subarray(0, b.bytes), off);
    off += b.bytes;
  }
  return off - dstOff;
}

/** Fills a read request's bios from `src` at `srcOff`. Returns bytes copied. */
export function rqCopyIn(rq: Request, src: Uint8Array, srcOff = 0): number {
  let off = srcOff;
  for (let i = 0; i < rq.nrBios; i++) {
    const b = rq.bios[i]!;
    if (b.data) b.data.set(src.subarray(off, off + b.bytes), 0);
    off += b.bytes;
  }
  return off - srcOff;
}
