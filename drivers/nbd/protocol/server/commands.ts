/** The transmission phase, server side: check each request, run it on the export's store, reply. */
import type { RequestDecoder } from '../decode-requests.ts';
import { encodeChunkBlockStatus } from '../encode-transmission.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_CACHE, NBD_CMD_DISC, NBD_CMD_FLAG_DF, NBD_CMD_FLAG_FUA, NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_NAMES, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES, NBD_EINVAL, NBD_ENOSPC, NBD_EPERM, NBD_REPLY_FLAG_DONE, NBD_STATE_HOLE, NBD_STATE_ZERO,
} from '../uapi.ts';
import type { DiskOp } from '../../../../hw-sim/disk/presets.ts';
import type { BlockError, Extent } from '../../../../hw-sim/disk/block-store.ts';
import { DEFAULT_MAX_PAYLOAD } from './config.ts';
import { BASE_ALLOCATION_ID } from './handshake.ts';
import { nbdErrno, replyRead, replyStatus, transmit } from './replies.ts';
import type { PendingWrite, ServerSession } from './session.ts';

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
function precheck(s: ServerSession, type: number, flags: number, offset: number, length: number): number {
  const e = s.export!;
  const size = e.store.size;
  const writes = type === NBD_CMD_WRITE || type === NBD_CMD_TRIM || type === NBD_CMD_WRITE_ZEROES;
  if (writes && e.readOnly) return NBD_EPERM;
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

/** A request header arrived; a WRITE waits for its data (finishWrite). */
export function beginRequest(s: ServerSession, d: RequestDecoder): void {
  const { type, flags, cookieHi: hi, cookieLo: lo, offset, length } = d;
  if (s.server.opts.traceRequests !== false) {
    s.trace('request', { cmd: NBD_CMD_NAMES[type] ?? type, flags, cookieHi: hi, cookieLo: lo, offset, length });
  }
  if (type === NBD_CMD_DISC) return s.disconnectWhenIdle();
  s.inFlight++;
  const known = type === NBD_CMD_READ || type === NBD_CMD_WRITE || type === NBD_CMD_FLUSH || type === NBD_CMD_TRIM ||
    type === NBD_CMD_WRITE_ZEROES || type === NBD_CMD_CACHE || type === NBD_CMD_BLOCK_STATUS;
  const err = known ? precheck(s, type, flags, offset, length) : NBD_EINVAL;
  if (type === NBD_CMD_WRITE) {
    const w: PendingWrite = { flags, cookieHi: hi, cookieLo: lo, offset, length, payload: null, error: err };
    if (length === 0) finishWrite(s, w);
    else s.pendingWrite = w;
    return;
  }
  if (err !== 0) return replyStatus(s, hi, lo, err);
  const store = s.export!.store;
  const fua = (flags & NBD_CMD_FLAG_FUA) !== 0;
  const done = (e: BlockError | null) => {
    if (s.phase !== 'closed') replyStatus(s, hi, lo, e === null ? 0 : nbdErrno(e));
  };
  switch (type) {
    case NBD_CMD_READ:
      return store.read(offset, length, (e, data, extents) => {
        if (s.phase === 'closed') return;
        if (e !== null || !data) return replyStatus(s, hi, lo, e === null ? NBD_EINVAL : nbdErrno(e));
        replyRead(s, hi, lo, offset, data, extents, (flags & NBD_CMD_FLAG_DF) !== 0);
      });
    case NBD_CMD_FLUSH:
      return store.flush(done);
    case NBD_CMD_TRIM:
      return store.trim(offset, length, fua, done);
    case NBD_CMD_WRITE_ZEROES:
      return store.zero(offset, length, (flags & NBD_CMD_FLAG_NO_HOLE) === 0, fua, done);
    case NBD_CMD_CACHE:
      // Advisory: nothing to prefetch in these stores.
      return replyStatus(s, hi, lo, 0);
    case NBD_CMD_BLOCK_STATUS:
      return store.blockStatus(offset, length, (e, extents) => {
        if (s.phase === 'closed') return;
        if (e !== null || !extents) return replyStatus(s, hi, lo, e === null ? NBD_EINVAL : nbdErrno(e));
        replyBlockStatus(s, hi, lo, extents, (flags & NBD_CMD_FLAG_REQ_ONE) !== 0);
      });
  }
}

/** The last byte of a WRITE's payload arrived. */
export function finishWrite(s: ServerSession, w: PendingWrite): void {
  if (w.error !== 0) return replyStatus(s, w.cookieHi, w.cookieLo, w.error);
  const data = w.payload ?? new Uint8Array(0);
  s.export!.store.write(w.offset, data, (w.flags & NBD_CMD_FLAG_FUA) !== 0, (e) => {
    if (s.phase !== 'closed') replyStatus(s, w.cookieHi, w.cookieLo, e === null ? 0 : nbdErrno(e));
  });
}

function replyBlockStatus(s: ServerSession, hi: number, lo: number, extents: readonly Extent[], one: boolean): void {
  const n = one ? Math.min(1, extents.length) : extents.length;
  const pairs = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x = extents[i]!;
    pairs[2 * i] = x.length;
    pairs[2 * i + 1] = (x.hole ? NBD_STATE_HOLE : 0) | (x.zero ? NBD_STATE_ZERO : 0);
  }
  transmit(s, [encodeChunkBlockStatus(NBD_REPLY_FLAG_DONE, hi, lo, BASE_ALLOCATION_ID, pairs)]);
}
