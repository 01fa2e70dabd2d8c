import type { BlkRequest } from './ports.ts';

/** Where a request is in its life; plain numbers, no actor per request. */
export const RqState = {
  FREE: 0,
  /** Accepted from blk-mq, waiting for a connection or a FLUSH barrier. */
  QUEUED: 1,
  /** Header (and payload) handed to a connection's socket. */
  SENT: 2,
  /** Its connection died; waiting to be sent again on a live one (new connection, new cookie generation). */
  REQUEUED: 3,
} as const;

/**
 * One NBD command in flight (NbdCommand): a preallocated record per tag, reused for every
 * request that gets the tag, so the request path allocates nothing.
 */
export class NbdRequest {
  state: number = RqState.FREE;
  /** Times this record has been issued to a connection for the current request. */
  sends = 0;
  /** Wire cookie of the last send: its connection's generation << 32 | tag. */
  cookie = 0;
  generation = 0;
  /** NBD_CMD_* sent on the wire. */
  cmd = 0;
  /** NBD_CMD_FLAG_* bits sent on the wire. */
  cmdFlags = 0;
  offset = 0;
  length = 0;
  /** Connection index it was last sent on (-1: none). */
  conn = -1;
  retries = 0;
  /** Write epoch (writes) or the epoch a FLUSH covers (flushes), -1 when neither; see FlushBarrier. */
  epoch = -1;
  errno = 0;
  /** FUA without NBD_FLAG_SEND_FUA: follow the write with a FLUSH before completing. */
  postFlush = false;
  /** Stage timestamps (virtual ns). */
  tQueued = 0;
  tSent = 0;
  tReplied = 0;
  /** Block-layer request this record carries; null when free. */
  blk: BlkRequest | null = null;
  /** Preallocated payload area of this tag in the slab. */
  readonly payload: Uint8Array;

  constructor(readonly tag: number, payload: Uint8Array) {
    this.payload = payload;
  }
}

/**
 * All request records of one device, indexed by tag, over one payload slab of
 * `tags × maxIo` bytes (views made once here, never per request).
 */
export class RequestTable {
  readonly records: NbdRequest[];
  private readonly slab: Uint8Array;
  /** Requests currently not FREE. */
  inflight = 0;

  constructor(readonly tags: number, readonly maxIo: number) {
    if (!Number.isSafeInteger(tags) || tags <= 0) throw new RangeError(`request table: tags must be a positive integer, got ${tags}`);
    if (!Number.isSafeInteger(maxIo) || maxIo <= 0) throw new RangeError(`request table: maxIo must be a positive integer, got ${maxIo}`);
    this.slab = new Uint8Array(tags * maxIo);
    this.records = new Array<NbdRequest>(tags);
    for (let t = 0; t < tags; t++) this.records[t] = new NbdRequest(t, this.slab.subarray(t * maxIo, (t + 1) * maxIo));
  }

  /** Takes the record of `blk.tag` for a new request. */
  claim(blk: BlkRequest, now: number): NbdRequest {
    const r = this.records[blk.tag];
    if (r === undefined) throw new RangeError(`request table: tag ${blk.tag} outside 0..${this.tags - 1}`);
    if (r.state !== RqState.FREE) throw new Error(`request table: tag ${blk.tag} is already in flight (cookie ${r.cookie})`);
    r.state = RqState.QUEUED;
    r.blk = blk;
    r.offset = blk.offset;
    r.length = blk.length;
    r.sends = 0;
    r.conn = -1;
    r.retries = 0;
    r.errno = 0;
    r.epoch = -1;
    r.tQueued = now;
    r.tSent = 0;
    r.tReplied = 0;
    this.inflight++;
    return r;
  }

  release(r: NbdRequest): void {
    if (r.state === RqState.FREE) return;
    r.state = RqState.FREE;
    r.blk = null;
    this.inflight--;
  }
}
