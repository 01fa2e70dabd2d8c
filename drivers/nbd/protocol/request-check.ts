/**
 * The request a client sends, as data, and the rules that decide whether it may be sent at all:
 * transmission flags (never send a command or flag the server did not advertise), block-size
 * constraints, export bounds. A refused request never reaches the wire; the caller gets a typed
 * errno instead.
 */
import type { NegotiatedExport } from './handshake-types.ts';
import type { ProtocolError } from './errors.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_CACHE, NBD_CMD_FLAG_DF, NBD_CMD_FLAG_FAST_ZERO, NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES, NBD_FLAG_READ_ONLY, NBD_FLAG_SEND_CACHE, NBD_FLAG_SEND_DF, NBD_FLAG_SEND_FAST_ZERO,
  NBD_FLAG_SEND_FLUSH, NBD_FLAG_SEND_FUA, NBD_FLAG_SEND_TRIM, NBD_FLAG_SEND_WRITE_ZEROES,
} from './uapi.ts';

/** One NBD command. Allocate once and reuse: the session writes results into it. */
export interface NbdRequest {
  type: number;
  flags: number;
  offset: number;
  length: number;
  /** READ: destination of exactly `length` bytes; WRITE: the `length` bytes to write. */
  data: Uint8Array | null;
  /** BLOCK_STATUS: receives (contextId, extent length, status flags) triples. */
  extents?: number[] | undefined;
  // ---- written by the session ----
  /** Tag (low half of the cookie); -1 before submit lets the session choose a free one. */
  tag: number;
  /** NBD error value of the reply (0 = success). */
  error: number;
  /** Message from an error chunk, if any. */
  message: string;
  /** Set when an unknown error chunk failed this request (verdict fail-request). */
  protocolError: ProtocolError | null;
}

export function newRequest(type: number, offset = 0, length = 0, data: Uint8Array | null = null, flags = 0): NbdRequest {
  return { type, flags, offset, length, data, tag: -1, error: 0, message: '', protocolError: null };
}

export type SubmitErrno = 'EOPNOTSUPP' | 'EINVAL' | 'EPERM' | 'EOVERFLOW' | 'ESHUTDOWN' | 'EAGAIN';

export interface SubmitError {
  errno: SubmitErrno;
  reason: string;
}

/**
 * The NBD_CMD_FLAG_* bits a command may carry; -1 for a command this client never sends. A switch,
 * not a table: an object literal keyed by number is looked up through a slow keyed load (it was
 * most of this check's cost, once per request).
 */
function allowedFlags(type: number): number {
  switch (type) {
    case NBD_CMD_READ: return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_DF;
    case NBD_CMD_WRITE: case NBD_CMD_FLUSH: case NBD_CMD_TRIM: case NBD_CMD_CACHE: return NBD_CMD_FLAG_FUA;
    case NBD_CMD_WRITE_ZEROES: return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FAST_ZERO;
    case NBD_CMD_BLOCK_STATUS: return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_REQ_ONE;
    default: return -1;
  }
}

/** Transmission flag that must be set for a command (0: always allowed). */
function neededFlag(type: number): number {
  switch (type) {
    case NBD_CMD_FLUSH: return NBD_FLAG_SEND_FLUSH;
    case NBD_CMD_TRIM: return NBD_FLAG_SEND_TRIM;
    case NBD_CMD_CACHE: return NBD_FLAG_SEND_CACHE;
    case NBD_CMD_WRITE_ZEROES: return NBD_FLAG_SEND_WRITE_ZEROES;
    default: return 0;
  }
}

const err = (errno: SubmitErrno, reason: string): SubmitError => ({ errno, reason });

/** Why a request is refused: 0 for none, else the first rule it breaks. */
const enum Refusal {
  NONE, COMMAND, NOT_ADVERTISED, FLAGS, FUA, DF, FAST_ZERO, READ_ONLY, NO_META_CONTEXT, FLUSH_RANGE,
  BAD_RANGE, BEYOND_SIZE, UNALIGNED, TOO_LONG, SHORT_BUFFER,
}

/**
 * Whether a request may be sent on a connection that negotiated `x`. Remembers the last command
 * and flags that passed the export's command rules, so a request like the one before has only its
 * range checked (the export's flags stay as negotiated for the session).
 */
export class RequestCheck {
  private type = -1;
  private flags = -1;

  constructor(private readonly x: NegotiatedExport) {}

  /** Null when `r` may be sent; else why not. */
  check(r: NbdRequest): SubmitError | null {
    const x = this.x;
    if (r.type !== this.type || r.flags !== this.flags) {
      const why = commandRefusal(x, r.type, r.flags);
      if (why !== Refusal.NONE) return refused(why, x, r);
      this.type = r.type;
      this.flags = r.flags;
    }
    const why = rangeRefusal(x, r);
    return why === Refusal.NONE ? null : refused(why, x, r);
  }
}

/*
 * The rules, in order, without building a message: optimised code computed a number that the
 * messages of two branches interpolate (the offset) once, ahead of both, on every request.
 */

/** The rules on the command and its flags against the export's transmission flags. */
function commandRefusal(x: NegotiatedExport, type: number, flags: number): Refusal {
  const tf = x.transmissionFlags;
  const allowed = allowedFlags(type);
  if (allowed < 0) return Refusal.COMMAND;
  const needs = neededFlag(type);
  if ((tf & needs) !== needs) return Refusal.NOT_ADVERTISED;
  if ((flags & ~allowed) !== 0) return Refusal.FLAGS;
  if ((flags & NBD_CMD_FLAG_FUA) !== 0 && (tf & NBD_FLAG_SEND_FUA) === 0) return Refusal.FUA;
  if ((flags & NBD_CMD_FLAG_DF) !== 0 && ((tf & NBD_FLAG_SEND_DF) === 0 || !x.structuredReplies)) return Refusal.DF;
  if ((flags & NBD_CMD_FLAG_FAST_ZERO) !== 0 && (tf & NBD_FLAG_SEND_FAST_ZERO) === 0) return Refusal.FAST_ZERO;
  const writes = type === NBD_CMD_WRITE || type === NBD_CMD_TRIM || type === NBD_CMD_WRITE_ZEROES;
  if (writes && (tf & NBD_FLAG_READ_ONLY) !== 0) return Refusal.READ_ONLY;
  if (type === NBD_CMD_BLOCK_STATUS && (!x.structuredReplies || Object.keys(x.metaContexts).length === 0)) return Refusal.NO_META_CONTEXT;
  return Refusal.NONE;
}

/** The rules on the request's offset, length and buffer. */
function rangeRefusal(x: NegotiatedExport, r: NbdRequest): Refusal {
  if (r.type === NBD_CMD_FLUSH) return r.offset === 0 && r.length === 0 ? Refusal.NONE : Refusal.FLUSH_RANGE;
  if (!Number.isSafeInteger(r.offset) || r.offset < 0 || !Number.isInteger(r.length) || r.length < 0 || r.length > 0xffffffff) {
    return Refusal.BAD_RANGE;
  }
  if (r.offset + r.length > x.size) return Refusal.BEYOND_SIZE;
  if (r.offset % x.minBlock !== 0 || r.length % x.minBlock !== 0) return Refusal.UNALIGNED;
  const payload = r.type === NBD_CMD_WRITE || r.type === NBD_CMD_READ;
  if (payload && r.length > x.maxPayload) return Refusal.TOO_LONG;
  if (payload && (r.data === null || r.data.length < r.length)) return Refusal.SHORT_BUFFER;
  return Refusal.NONE;
}

/** The error of a refused request. */
function refused(why: Refusal, x: NegotiatedExport, r: NbdRequest): SubmitError {
  switch (why) {
    case Refusal.COMMAND: return err('EINVAL', `command ${r.type} is not one this client sends`);
    case Refusal.NOT_ADVERTISED: return err('EOPNOTSUPP', `server did not advertise the flag for command ${r.type}`);
    case Refusal.FLAGS: return err('EINVAL', `flags 0x${r.flags.toString(16)} not valid for command ${r.type}`);
    case Refusal.FUA: return err('EOPNOTSUPP', 'FUA not advertised');
    case Refusal.DF: return err('EOPNOTSUPP', 'DF not advertised');
    case Refusal.FAST_ZERO: return err('EOPNOTSUPP', 'FAST_ZERO not advertised');
    case Refusal.READ_ONLY: return err('EPERM', 'export is read-only');
    case Refusal.NO_META_CONTEXT: return err('EOPNOTSUPP', 'no metadata context negotiated');
    case Refusal.FLUSH_RANGE: return err('EINVAL', 'FLUSH carries offset 0 and length 0');
    case Refusal.BAD_RANGE: return err('EINVAL', `bad offset ${r.offset} / length ${r.length}`);
    case Refusal.BEYOND_SIZE: return err('EINVAL', `range ${r.offset}+${r.length} beyond export size ${x.size}`);
    case Refusal.UNALIGNED: return err('EINVAL', `range ${r.offset}+${r.length} not aligned to minimum block ${x.minBlock}`);
    case Refusal.TOO_LONG: return err('EOVERFLOW', `length ${r.length} exceeds maximum payload ${x.maxPayload}`);
    default: return err('EINVAL', `data buffer shorter than ${r.length}`);
  }
}
