/**
 * Sending transmission replies, with the fault knobs applied: replies held back (`delayNs`),
 * swallowed (`hang`), or broken on purpose (misbehaviour armed on the server's faults).
 */
import {
  encodeChunkError, encodeChunkHeader, encodeChunkNone, encodeChunkOffsetDataHeader, encodeChunkOffsetHole,
  encodeSimpleReply,
} from '../encode-transmission.ts';
import {
  NBD_EINVAL, NBD_EIO, NBD_ENOSPC, NBD_EOVERFLOW, NBD_EPERM, NBD_ERROR_NAMES, NBD_REPLY_FLAG_DONE,
  NBD_SIMPLE_REPLY_SIZE, NBD_STRUCTURED_REPLY_HEADER_SIZE,
} from '../uapi.ts';
import { get32 } from '../wire.ts';
import type { BlockError, Extent } from '../../../../hw-sim/disk/block-store.ts';
import type { ServerSession } from './session.ts';

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

/** A reply with no data: simple, or a structured NONE / ERROR chunk. */
export function replyStatus(s: ServerSession, hi: number, lo: number, error: number): void {
  if (!s.structured) {
    const b = new Uint8Array(NBD_SIMPLE_REPLY_SIZE);
    encodeSimpleReply(b, 0, error, hi, lo);
    return transmit(s, [b]);
  }
  if (error !== 0) return transmit(s, [encodeChunkError(NBD_REPLY_FLAG_DONE, hi, lo, error, NBD_ERROR_NAMES[error] ?? '')]);
  const b = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE);
  encodeChunkNone(b, 0, hi, lo);
  transmit(s, [b]);
}

/**
 * A successful READ. Simple: header + data. Structured: one chunk per extent (OFFSET_DATA for
 * data, OFFSET_HOLE for holes) unless DF, the last one flagged DONE.
 */
export function replyRead(s: ServerSession, hi: number, lo: number, offset: number, data: Uint8Array,
  extents: readonly Extent[] | null, df: boolean): void {
  if (!s.structured) {
    const b = new Uint8Array(NBD_SIMPLE_REPLY_SIZE);
    encodeSimpleReply(b, 0, 0, hi, lo);
    return transmit(s, data.length > 0 ? [b, data] : [b]);
  }
  if (data.length === 0) return replyStatus(s, hi, lo, 0);
  const runs = df || !extents || extents.length === 0 ? null : extents;
  const n = runs ? runs.length : 1;
  const headers = new Uint8Array(32 * n);
  const pieces: Uint8Array[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const len = runs ? runs[i]!.length : data.length;
    const flags = i === n - 1 ? NBD_REPLY_FLAG_DONE : 0;
    const h = i * 32;
    if (runs && runs[i]!.hole) {
      encodeChunkOffsetHole(headers, h, flags, hi, lo, offset + pos, len);
      pieces.push(headers.subarray(h, h + 32));
    } else {
      encodeChunkOffsetDataHeader(headers, h, flags, hi, lo, offset + pos, len);
      pieces.push(headers.subarray(h, h + 28), data.subarray(pos, pos + len));
    }
    pos += len;
  }
  transmit(s, pieces);
}

/** Sends a reply's pieces, after the delay knob, unless hung; applies an armed misbehaviour. */
export function transmit(s: ServerSession, pieces: Uint8Array[]): void {
  const f = s.server.faults;
  if (f.delayNs > 0) s.io.schedule(f.delayNs, () => deliver(s, pieces));
  else deliver(s, pieces);
}

function deliver(s: ServerSession, pieces: Uint8Array[]): void {
  if (s.phase === 'closed') return;
  const f = s.server.faults;
  if (f.hang) {
    s.trace('reply.swallowed', { reason: 'hang' });
    return s.requestDone();
  }
  const bad = f.takeMisbehaviour();
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
  for (const p of pieces) {
    s.io.send(p);
    bytes += p.length;
  }
  if (s.server.opts.traceRequests !== false) s.trace('reply', { cookieHi: get32(pieces[0]!, 8), cookieLo: get32(pieces[0]!, 12), bytes });
  s.requestDone();
}
