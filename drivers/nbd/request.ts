import type { Request } from '../../kernel/block/request.ts';
import type { ProtocolError } from './protocol/errors.ts';
import type { NbdRequest as WireRequest } from './protocol/request-check.ts';

/** Where a command is in its life; plain numbers, no actor per request. */
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
 * The driver's per-request state (Linux's `struct nbd_cmd`): the PDU of a blk-mq request, made
 * once per preallocated request by `initRequest` and reused for every use of it. It is also the
 * NBD command the transmission session sends and completes (it has the protocol's request
 * fields), so a request in flight is two records: the kernel's Request and this PDU.
 */
export class NbdCmd implements WireRequest {
  state: number = RqState.FREE;
  /** The blk-mq request this PDU belongs to; null for the cache's own commands (see `cacheSlot`). */
  readonly rq: Request | null;
  /** The cache's own command (read-ahead, write-back, hint, flush): its slot; -1 for a PDU. */
  readonly cacheSlot: number;
  // ---- the NBD command (protocol/request-check.ts NbdRequest) ----
  /** NBD_CMD_* sent on the wire. */
  type = 0;
  /** NBD_CMD_FLAG_* bits sent on the wire. */
  flags = 0;
  offset = 0;
  length = 0;
  /** READ destination / WRITE source on the wire: a bio's buffer, or `bounce`. */
  data: Uint8Array | null = null;
  /** Driver tag (low half of the cookie), written by the session on submit. */
  tag = -1;
  /** NBD error value of the reply (0 = success), written by the session. */
  error = 0;
  message = '';
  protocolError: ProtocolError | null = null;
  // ---- driver state ----
  /** Times this command has been issued to a connection for the current request. */
  sends = 0;
  /** Wire cookie of the last send: its connection's generation << 32 | tag. */
  cookie = 0;
  generation = 0;
  /** Connection index it was last sent on (-1: none). */
  conn = -1;
  retries = 0;
  /** Server that answered its last use (-1: none, e.g. failed locally). */
  server = -1;
  /** Write epoch (writes) or the epoch a FLUSH covers (flushes), -1 when neither; see FlushBarrier. */
  epoch = -1;
  /** FUA without NBD_FLAG_SEND_FUA: follow the write with a FLUSH before completing. */
  postFlush = false;
  /** Data is in `bounce` (merged bios, or emulated zeroes), copied to the bios on a READ's completion. */
  bounced = false;
  /** One contiguous buffer of max_hw_sectors, allocated on this request's first multi-bio use. */
  bounce: Uint8Array | null = null;
  /** Stage timestamps (virtual ns). */
  tQueued = 0;
  /** When it last began to wait for a connection (see DeadConnClock). */
  tWait = 0;
  tSent = 0;
  tReplied = 0;

  constructor(rq: Request | null, cacheSlot = -1) {
    this.rq = rq;
    this.cacheSlot = cacheSlot;
  }
}

/** The PDU of a request (blk_mq_rq_to_pdu). */
export function cmdOf(rq: Request): NbdCmd {
  return rq.pdu as NbdCmd;
}
