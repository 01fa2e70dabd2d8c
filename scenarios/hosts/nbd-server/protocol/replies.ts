/**
 * Sending transmission replies, with the fault knobs applied: replies held back (`delayNs`),
 * swallowed (`hang`), or broken on purpose (misbehaviour armed on the server's faults).
 */
import {
  encodeChunkHeader, encodeChunkNone, encodeReplyError, encodeReplyHeader, encodeSimpleReply,
} from '../../../../drivers/nbd/protocol/encode-transmission.ts';
import {
  NBD_EINVAL, NBD_EIO, NBD_ENOSPC, NBD_EOVERFLOW, NBD_EPERM, NBD_ERROR_NAMES, NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_NONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_REPLY_TYPE_OFFSET_HOLE, NBD_SIMPLE_REPLY_SIZE,
  NBD_STRUCTURED_REPLY_HEADER_SIZE,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import { get32, put32, put64 } from '../../../../drivers/nbd/protocol/wire.ts';
import { frame } from '../../../../drivers/nbd/protocol/payload-frame.ts';
import { sendCostNs } from '../../../../drivers/nbd/protocol/frame-cost.ts';
import type { BlockError, Extent } from '../../../../hw-sim/disk/disk-io.ts';
import { reversedChunks, staleCopy } from './misbehave.ts';
import { CHUNK_SLOT } from './reply-scratch.ts';
import type { Session } from './types.ts';

/** A chunk type no version of the spec defines, with the error bit clear (a hard error for clients). */
const UNDEFINED_CHUNK_TYPE = 0x7ff0;
/** The cookie of an unsolicited reply: one no client of ours ever uses (generation 2^32-1). */
const NEVER_SENT_HI = 0xffffffff;
const NEVER_SENT_LO = 0xfffffff0;

export function nbdErrno(e: BlockError): number {
  switch (e) {
    case 'EIO': return NBD_EIO;
    case 'ENOSPC': return NBD_ENOSPC;
    case 'EINVAL': return NBD_EINVAL;
    case 'EPERM': return NBD_EPERM;
    case 'EOVERFLOW': return NBD_EOVERFLOW;
  }
}

/** A reply with no data: simple, or a structured / extended NONE or ERROR chunk. */
export function replyStatus(s: Session, hi: number, lo: number, error: number, reqOffset: number): void {
  const x = s.replies;
  if (!s.structured) {
    const b = x.reserve(1);
    x.seal(b, 0, encodeSimpleReply(b, 0, error, hi, lo));
    x.add(x.simple);
    return transmit(s, x.list());
  }
  if (error !== 0) return transmit(s, [x.sealed(encodeReplyError(s.extended, NBD_REPLY_FLAG_DONE, hi, lo, reqOffset, error, NBD_ERROR_NAMES[error] ?? ''))]);
  const b = x.reserve(1);
  x.seal(b, 0, encodeReplyHeader(s.extended, b, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, hi, lo, reqOffset, 0));
  x.add(x.none);
  transmit(s, x.list());
}

/**
 * A successful READ. Simple: header + data. Structured or extended: one chunk per extent
 * (OFFSET_DATA for data, OFFSET_HOLE for holes) unless DF, the last one flagged DONE.
 */
export function replyRead(s: Session, hi: number, lo: number, offset: number, data: Uint8Array,
  extents: readonly Extent[] | null, df: boolean): void {
  const x = s.replies;
  // Payload frames (docs/nbd-extensions.md): every run of read data is framed on its own.
  const framed = s.compression !== 0 || s.checksum !== 0;
  // Memory faults hit the bytes waiting for the send, after the frame's checksum was computed:
  // one draw per reply (the documented rate), not per data run.
  const mem = s.server.faults;
  if (!s.structured) {
    const b = x.reserve(1);
    x.seal(b, 0, encodeSimpleReply(b, 0, 0, hi, lo));
    x.add(x.simple);
    const at = mem.drawReply(data.length);
    if (data.length > 0 && framed) {
      const f = frame(data, s.compression, s.checksum, offset);
      x.add(f.header, mem.memory(f.body, at, 0, data.length));
      return transmitFramed(s, x.list(), data.length);
    } else if (data.length > 0) x.add(mem.memory(data, at, 0, data.length));
    return transmit(s, x.list());
  }
  if (data.length === 0) return replyStatus(s, hi, lo, 0, offset);
  const ext = s.extended;
  const runs = df || !extents || extents.length === 0 ? (framed ? [{ length: data.length, hole: false }] : null) : extents;
  if (runs === null || (runs.length === 1 && !runs[0]!.hole && !framed)) {
    const at = mem.drawReply(data.length);
    const b = x.reserve(1);
    const H = x.seal(b, 0, encodeReplyHeader(ext, b, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, offset, 8 + data.length));
    put64(b, H, offset);
    x.add(x.dataHeader, mem.memory(data, at, 0, data.length));
    return transmit(s, x.list());
  }
  const n = runs.length;
  const headers = x.reserve(n);
  let pos = 0;
  let framedBytes = 0;
  // The flipped bit is drawn over the data runs only (a hole is not in the server's memory).
  let at = -1;
  if (mem.memFlipRate > 0) {
    let dataBytes = 0;
    for (let i = 0; i < n; i++) if (!runs[i]!.hole) dataBytes += runs[i]!.length;
    at = mem.drawReply(dataBytes);
  }
  let dataPos = 0;
  for (let i = 0; i < n; i++) {
    const len = runs[i]!.length;
    const flags = i === n - 1 ? NBD_REPLY_FLAG_DONE : 0;
    const h = i * CHUNK_SLOT;
    if (runs[i]!.hole) {
      const H = x.seal(headers, h, encodeReplyHeader(ext, headers, h, flags, NBD_REPLY_TYPE_OFFSET_HOLE, hi, lo, offset, 12));
      put64(headers, h + H, offset + pos);
      put32(headers, h + H + 8, len);
      x.add(headers.subarray(h, h + H + x.seal(headers, h + H, 12)));
    } else if (framed) {
      const f = frame(data.subarray(pos, pos + len), s.compression, s.checksum, offset + pos);
      framedBytes += len;
      const H = x.seal(headers, h, encodeReplyHeader(ext, headers, h, flags, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, offset, 8 + f.header.length + f.body.length));
      put64(headers, h + H, offset + pos);
      x.add(headers.subarray(h, h + H + 8), f.header, mem.memory(f.body, at, dataPos, len));
    } else {
      const H = encodeReplyHeader(ext, headers, h, flags, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, offset, 8 + len);
      put64(headers, h + H, offset + pos);
      x.add(headers.subarray(h, h + H + 8), mem.memory(data.subarray(pos, pos + len), at, dataPos, len));
    }
    if (!runs[i]!.hole) dataPos += len;
    pos += len;
  }
  if (framed) transmitFramed(s, x.list(), framedBytes);
  else transmit(s, x.list());
}

/**
 * replyRead of `len` bytes at `at` in `data` (the disk's page memory, no view made): when nothing
 * alters the reply (one data run, no payload frames, no fault knob set) its header and data go
 * to the host as deliver() would send them; anything else takes a view and replyRead's way.
 */
export function replyReadRange(s: Session, hi: number, lo: number, offset: number, data: Uint8Array, at: number, len: number,
  extents: readonly Extent[] | null, df: boolean): void {
  const io = s.io;
  const oneRun = df || !extents || extents.length === 0 || (extents.length === 1 && !extents[0]!.hole);
  if (io.sendRange === undefined || !oneRun || len === 0 || s.compression !== 0 || s.checksum !== 0 || !s.server.faults.quiet) {
    return replyRead(s, hi, lo, offset, at === 0 && data.length === len ? data : data.subarray(at, at + len), extents, df);
  }
  const x = s.replies;
  let header: Uint8Array;
  if (s.structured && !s.extended && x.hc === 0) header = x.plainDataHeader(hi, lo, offset, len);
  else if (!s.structured) {
    const b = x.reserve(1);
    x.seal(b, 0, encodeSimpleReply(b, 0, 0, hi, lo));
    header = x.simple;
  } else {
    const b = x.reserve(1);
    const H = x.seal(b, 0, encodeReplyHeader(s.extended, b, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, offset, 8 + len));
    put64(b, H, offset);
    header = x.dataHeader;
  }
  // The cookie as the header carries it (hi and lo are the request's u32 fields, written as they are).
  io.replyStarts?.(hi, lo);
  if (io.sendPair) io.sendPair(header, data, at, len);
  else {
    io.send(header, true);
    io.sendRange(data, at, len, false);
  }
  if (s.server.opts.traceRequests !== false) {
    const bytes = header.length + len;
    if (io.traceReply) io.traceReply(hi, lo, bytes);
    else s.trace('reply', { cookieHi: hi, cookieLo: lo, bytes });
  }
  s.requestDone();
}

/**
 * A reply whose read data was framed: it leaves once the CPU has compressed and checksummed
 * `raw` bytes. The pieces are scratch and pooled read data, so a held reply takes copies.
 */
function transmitFramed(s: Session, pieces: Uint8Array[], raw: number): void {
  const cpu = s.server.opts.frameCpu;
  const ns = cpu ? sendCostNs(cpu.costs, s.compression, s.checksum, raw) : 0;
  if (ns === 0) return transmit(s, pieces);
  const own = pieces.map((p) => p.slice());
  cpu!.charge(ns, () => transmit(s, own));
}

/**
 * Sends a reply's pieces, after the delay knob, unless hung; applies an armed misbehaviour. The
 * pieces may be reused scratch and pooled read data: a delayed reply takes copies.
 */
export function transmit(s: Session, pieces: Uint8Array[]): void {
  const f = s.server.faults;
  if (f.delayNs > 0) {
    // Injected bug reply-buffer-reused: the delayed reply keeps views of the reused scratch and read buffers.
    const own = s.server.bugs.has('reply-buffer-reused') ? [...pieces] : pieces.map((p) => p.slice());
    s.io.schedule(f.delayNs, () => deliver(s, own));
  } else deliver(s, pieces);
}

function deliver(s: Session, pieces: Uint8Array[]): void {
  if (s.phase === 'closed') return;
  const f = s.server.faults;
  if (f.hang) {
    s.trace('reply.swallowed', { reason: 'hang' });
    return s.requestDone();
  }
  let bad = f.takeMisbehaviour();
  if (bad === 'reversed-chunks' || bad === 'stale-reply') {
    const out = bad === 'reversed-chunks' ? reversedChunks(s.structured, s.extended, pieces) : staleCopy(pieces);
    if (!out) f.rearm(bad);
    else {
      s.trace('misbehave', { kind: bad });
      if (bad === 'reversed-chunks') pieces = out;
      else for (const p of out) s.io.send(p);
    }
    bad = undefined;
  }
  if (bad) {
    s.trace('misbehave', { kind: bad });
    const first = pieces[0]!;
    const hi = get32(first, 8);
    const lo = get32(first, 12);
    switch (bad) {
      case 'bad-magic': {
        const h = first.slice();
        h[0] = h[0]! ^ 0xff;
        pieces[0] = h;
        break;
      }
      case 'wrong-cookie': {
        const h = first.slice();
        h[8] = h[8]! ^ 0xff;
        pieces[0] = h;
        break;
      }
      case 'unknown-chunk': {
        const h = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE);
        encodeChunkHeader(h, 0, 0, UNDEFINED_CHUNK_TYPE, hi, lo, 0);
        s.io.send(h);
        break;
      }
      case 'unsolicited-reply': {
        const h = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE);
        if (s.structured) encodeChunkNone(h, 0, NEVER_SENT_HI, NEVER_SENT_LO);
        else encodeSimpleReply(h, 0, 0, NEVER_SENT_HI, NEVER_SENT_LO);
        s.io.send(s.structured ? h : h.subarray(0, NBD_SIMPLE_REPLY_SIZE));
        break;
      }
      case 'truncated-reply': {
        let total = 0;
        for (const p of pieces) total += p.length;
        const cut = Math.max(1, total >> 1);
        let sent = 0;
        for (const p of pieces) {
          if (sent >= cut) break;
          const part = p.subarray(0, Math.min(p.length, cut - sent));
          s.io.send(part);
          sent += part.length;
        }
        s.requestDone();
        return s.close('misbehaviour: truncated reply');
      }
    }
  }
  let bytes = 0;
  const last = pieces.length - 1;
  const hi = get32(pieces[0]!, 8);
  const lo = get32(pieces[0]!, 12);
  s.io.replyStarts?.(hi, lo);
  for (let i = 0; i <= last; i++) {
    const p = pieces[i]!;
    s.io.send(p, i < last);
    bytes += p.length;
  }
  if (s.server.opts.traceRequests !== false) {
    if (s.io.traceReply) s.io.traceReply(hi, lo, bytes);
    else s.trace('reply', { cookieHi: hi, cookieLo: lo, bytes });
  }
  s.requestDone();
}
