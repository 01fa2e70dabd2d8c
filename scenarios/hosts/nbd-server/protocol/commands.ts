/** The transmission phase, server side: check each request, run it on the export's store, reply. */
import { hard } from '../../../../drivers/nbd/protocol/errors.ts';
import { unframe } from '../../../../drivers/nbd/protocol/payload-frame.ts';
import { headerCostNs, receiveCostNs } from '../../../../drivers/nbd/protocol/frame-cost.ts';
import type { RequestDecoder } from '../../../../drivers/nbd/protocol/decode-requests.ts';
import { encodeChunkBlockStatus, encodeChunkBlockStatusExt } from '../../../../drivers/nbd/protocol/encode-transmission.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_CACHE, NBD_CMD_DISC, NBD_CMD_FLAG_DF, NBD_CMD_FLAG_FUA, NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_NAMES, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES, NBD_ORION_EBADMSG, NBD_EINVAL, NBD_ENOSPC, NBD_EPERM, NBD_REPLY_FLAG_DONE, NBD_STATE_HOLE, NBD_STATE_ZERO,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import type { DiskOp } from '../../../../hw-sim/disk/presets.ts';
import type { Extent } from '../../../../hw-sim/disk/disk-io.ts';
import { DEFAULT_MAX_PAYLOAD } from './config.ts';
import { BASE_ALLOCATION_ID } from './handshake.ts';
import { nbdErrno, replyRead, replyReadRange, replyStatus, transmit } from './replies.ts';
import type { RequestCompletions, ServerRequest } from './request.ts';
import type { Session } from './types.ts';

/** Fault-injection op of each command (CACHE and DISC have none). */
function diskOp(type: number): DiskOp | null {
  switch (type) {
    case NBD_CMD_READ: return 'read';
    case NBD_CMD_WRITE: return 'write';
    case NBD_CMD_FLUSH: return 'flush';
    case NBD_CMD_TRIM: return 'trim';
    case NBD_CMD_WRITE_ZEROES: return 'zero';
    case NBD_CMD_BLOCK_STATUS: return 'status';
    default: return null;
  }
}

/** The NBD error a request fails with before reaching the store, or 0. */
export function precheck(s: Session, type: number, flags: number, offset: number, length: number): number {
  const e = s.export!;
  const size = e.store.size;
  const writes = type === NBD_CMD_WRITE || type === NBD_CMD_TRIM || type === NBD_CMD_WRITE_ZEROES;
  if (writes && s.readOnly) return NBD_EPERM;
  if (type !== NBD_CMD_FLUSH && offset + length > size) return type === NBD_CMD_WRITE || type === NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC : NBD_EINVAL;
  if ((flags & NBD_CMD_FLAG_DF) !== 0 && (type !== NBD_CMD_READ || !s.structured)) return NBD_EINVAL;
  const b = e.blockSize;
  if (b && type !== NBD_CMD_FLUSH && (offset % b.min !== 0 || length % b.min !== 0)) return NBD_EINVAL;
  const max = b ? b.max : DEFAULT_MAX_PAYLOAD;
  if ((type === NBD_CMD_READ || type === NBD_CMD_WRITE) && length > max) return NBD_EINVAL;
  if (type === NBD_CMD_BLOCK_STATUS && (!s.structured || s.metaExport === null || length === 0)) return NBD_EINVAL;
  const op = diskOp(type);
  if (op) {
    const injected = s.server.faults.io.check(op, offset, length);
    if (injected) return nbdErrno(injected);
  }
  return 0;
}

/** Store completions of every request record: reply (unless the session closed meanwhile), then recycle. */
export const COMPLETIONS: RequestCompletions<Session> = {
  read(r, e, data, extents) {
    const s = r.session;
    if (s.phase !== 'closed') {
      if (e !== null || !data) replyStatus(s, r.cookieHi, r.cookieLo, e === null ? NBD_EINVAL : nbdErrno(e), r.offset);
      else replyRead(s, r.cookieHi, r.cookieLo, r.offset, data, extents, (r.flags & NBD_CMD_FLAG_DF) !== 0);
    }
    s.requests.give(r);
  },
  readRange(r, e, data, at, extents) {
    const s = r.session;
    if (s.phase !== 'closed') {
      if (e !== null || !data) replyStatus(s, r.cookieHi, r.cookieLo, e === null ? NBD_EINVAL : nbdErrno(e), r.offset);
      else replyReadRange(s, r.cookieHi, r.cookieLo, r.offset, data, at, r.length, extents, (r.flags & NBD_CMD_FLAG_DF) !== 0);
    }
    s.requests.give(r);
  },
  status(r, e, extents) {
    const s = r.session;
    if (s.phase !== 'closed') {
      if (e !== null || !extents) replyStatus(s, r.cookieHi, r.cookieLo, e === null ? NBD_EINVAL : nbdErrno(e), r.offset);
      else replyBlockStatus(s, r.cookieHi, r.cookieLo, r.offset, extents, (r.flags & NBD_CMD_FLAG_REQ_ONE) !== 0);
    }
    s.requests.give(r);
  },
  done(r, e) {
    const s = r.session;
    const swallow = e !== null && r.type === NBD_CMD_WRITE && s.server.bugs.has('server-eio-as-success'); // injected
    const full = e === 'ENOSPC' && s.server.bugs.has('server-enospc-as-eio'); // injected: a full disk answered as NBD_EIO
    if (s.phase !== 'closed' && !r.earlyAcked) replyStatus(s, r.cookieHi, r.cookieLo, e === null || swallow ? 0 : full ? nbdErrno('EIO') : nbdErrno(e), r.offset);
    s.requests.give(r);
  },
};

/** Header checksums: the request header verified, its reply's sealed; the core is busy, the reply not held back. */
function chargeHeaders(s: Session): void {
  const cpu = s.server.opts.frameCpu;
  if (cpu) cpu.charge(headerCostNs(cpu.costs, s.extended ? 32 : 28, s.extended ? 32 : s.structured ? 20 : 16), NOOP);
}

const NOOP = (): void => {};

/** A request header arrived; a WRITE waits for its data (writeData, then finishWrite). */
export function beginRequest(s: Session, d: RequestDecoder): void {
  const type = d.type;
  const flags = d.flags;
  const offset = d.offset;
  const length = d.length;
  const rid = s.io.requestId?.(d.cookieHi, d.cookieLo) ?? -1;
  if (s.server.opts.traceRequests !== false) {
    const cmd = NBD_CMD_NAMES[type] ?? type;
    if (s.io.traceRequest) s.io.traceRequest(cmd, flags, d.cookieHi, d.cookieLo, offset, length, rid);
    else {
      s.trace('request', rid >= 0
        ? { cmd, flags, cookieHi: d.cookieHi, cookieLo: d.cookieLo, offset, length, rid }
        : { cmd, flags, cookieHi: d.cookieHi, cookieLo: d.cookieLo, offset, length });
    }
  }
  s.server.wire.count(type, flags, offset, length);
  if (s.checksum !== 0) chargeHeaders(s);
  if (type === NBD_CMD_DISC) return s.disconnectWhenIdle();
  s.inFlight++;
  const known = type === NBD_CMD_READ || type === NBD_CMD_WRITE || type === NBD_CMD_FLUSH || type === NBD_CMD_TRIM ||
    type === NBD_CMD_WRITE_ZEROES || type === NBD_CMD_CACHE || type === NBD_CMD_BLOCK_STATUS;
  const err = known ? precheck(s, type, flags, offset, length) : NBD_EINVAL;
  if (err !== 0 && type !== NBD_CMD_WRITE) return refuse(s, d.cookieHi, d.cookieLo, err, offset);
  // Advisory: nothing to prefetch in these stores.
  if (type === NBD_CMD_CACHE) return replyStatus(s, d.cookieHi, d.cookieLo, 0, offset);
  const store = s.export!.store;
  const r = s.requests.take();
  r.type = type;
  r.flags = flags;
  r.cookieHi = d.cookieHi;
  r.cookieLo = d.cookieLo;
  r.offset = offset;
  r.length = length;
  r.rid = rid;
  r.error = err;
  const fua = (flags & NBD_CMD_FLAG_FUA) !== 0;
  switch (type) {
    case NBD_CMD_WRITE:
      r.streamed = err === 0 && store.writePiece !== undefined;
      r.payload = err === 0 && !r.streamed && length > 0 ? r.spare?.length === length ? r.spare : new Uint8Array(length) : null;
      if (length === 0) return finishWrite(s, r);
      s.pendingWrite = r;
      return;
    case NBD_CMD_READ:
      if (store.readRange) return store.readRange(offset, length, r.onRange, rid);
      return store.read(offset, length, r.onRead, rid);
    case NBD_CMD_FLUSH:
      if (s.server.bugs.has('server-flush-early')) ackEarly(s, r); // injected: FLUSH acked before the disk flushed
      if (s.server.bugs.has('flush-skipped-on-idle-port') && idlePort(s)) return COMPLETIONS.done(r, null);
      return store.flush(r.onDone, rid);
    case NBD_CMD_TRIM:
      return store.trim(offset, length, fua, r.onDone, rid);
    case NBD_CMD_WRITE_ZEROES:
      if (s.server.bugs.has('server-zeroes-ignored')) return COMPLETIONS.done(r, null); // injected: acked, nothing zeroed
      return store.zero(offset, length, (flags & NBD_CMD_FLAG_NO_HOLE) === 0, fua, r.onDone, rid);
    case NBD_CMD_BLOCK_STATUS:
      return store.blockStatus(offset, length, r.onStatus, rid);
  }
}

/**
 * A piece of a WRITE's payload (a view valid during the call only): straight into the store's
 * pages when it takes pieces, else into the request's payload buffer; dropped if the request failed.
 */
export function writeData(s: Session, w: ServerRequest<Session>, d: RequestDecoder): void {
  if (w.error === 0) {
    if (w.payload !== null) w.payload.set(d.data, d.dataPos);
    else if (w.streamed) s.export!.store.writePiece!(w.offset + d.dataPos, d.data);
  }
  if (d.dataRemaining === 0) {
    s.pendingWrite = null;
    finishWrite(s, w);
  }
}

/**
 * A WRITE's payload frame (docs/nbd-extensions.md): unframed and checked before anything reaches
 * the store; a checksum mismatch fails the write with NBD_ORION_EBADMSG (the client resends it).
 */
export function writeFrame(s: Session, w: ServerRequest<Session>, d: RequestDecoder): void {
  s.pendingWrite = null;
  if (w.error === 0) {
    const raw = w.payload ?? new Uint8Array(w.length);
    const r = unframe(d.frame, d.data, raw, s.compression, s.checksum, w.offset);
    if (r === 'corrupt') {
      w.error = NBD_ORION_EBADMSG;
      s.trace('checksum.mismatch', { offset: w.offset, length: w.length });
    } else if (r !== '') {
      s.requests.give(w);
      return s.fail(hard('bad-value', 'frame', r));
    } else if (w.streamed) s.export!.store.writePiece!(w.offset, raw);
  }
  // Decompressing and verifying cost CPU before the write goes on (docs/nbd-extensions.md).
  const cpu = s.server.opts.frameCpu;
  const ns = cpu ? receiveCostNs(cpu.costs, s.compression, s.checksum, d.frame) : 0;
  if (ns > 0) cpu!.charge(ns, () => finishWrite(s, w));
  else finishWrite(s, w);
}

/** The last byte of a WRITE's payload arrived. */
function finishWrite(s: Session, w: ServerRequest<Session>): void {
  if (w.error !== 0 || w.streamed) {
    // Streamed pieces are in place already: the store has nothing volatile and completes at once.
    if (w.error !== 0) refuse(s, w.cookieHi, w.cookieLo, w.error, w.offset);
    else replyStatus(s, w.cookieHi, w.cookieLo, 0, w.offset);
    s.requests.give(w);
    return;
  }
  if (s.server.bugs.has('server-early-ack')) ackEarly(s, w); // injected: WRITE acked before the disk applied it
  const fua = (w.flags & NBD_CMD_FLAG_FUA) !== 0 && !s.server.bugs.has('server-fua-ignored'); // injected
  s.export!.store.write(w.offset, w.payload ?? EMPTY, fua, w.onDone, w.rid);
}

/** An error reply decided before the store (checks, injected faults): traced so checkers know no disk op was due. */
function refuse(s: Session, hi: number, lo: number, error: number, offset: number): void {
  if (s.server.opts.traceRequests !== false) s.trace('refused', { cookieHi: hi, cookieLo: lo, error });
  replyStatus(s, hi, lo, error, offset);
}

/** Injected bugs only: the success reply goes out now, the store's completion sends none. */
function ackEarly(s: Session, r: ServerRequest<Session>): void {
  replyStatus(s, r.cookieHi, r.cookieLo, 0, r.offset);
  r.earlyAcked = true;
}

function replyBlockStatus(s: Session, hi: number, lo: number, reqOffset: number, extents: readonly Extent[], one: boolean): void {
  const n = one ? Math.min(1, extents.length) : extents.length;
  // Extended headers: 64-bit extent lengths (BLOCK_STATUS_EXT), so a plain array, not Uint32Array.
  const pairs = s.extended ? new Array<number>(2 * n) : new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x = extents[i]!;
    pairs[2 * i] = x.length;
    pairs[2 * i + 1] = (x.hole ? NBD_STATE_HOLE : 0) | (x.zero ? NBD_STATE_ZERO : 0);
  }
  transmit(s, [s.replies.sealed(s.extended
    ? encodeChunkBlockStatusExt(NBD_REPLY_FLAG_DONE, hi, lo, reqOffset, BASE_ALLOCATION_ID, pairs)
    : encodeChunkBlockStatus(NBD_REPLY_FLAG_DONE, hi, lo, BASE_ALLOCATION_ID, pairs))]);
}

const EMPTY = new Uint8Array(0);

/**
 * Injected flush-skipped-on-idle-port: no write came through this server since its last FLUSH, so
 * it answers the FLUSH without flushing — harmless for a disk of its own, wrong for a shared
 * volume that other servers write to (a FLUSH through any of them must flush the volume).
 */
function idlePort(s: Session): boolean {
  const w = s.server.wire;
  const idle = w.dataWrites === w.writesAtFlush;
  w.writesAtFlush = w.dataWrites;
  return idle;
}
