/**
 * Misbehaviours that rewrite a READ reply rather than break it: the reply's pieces are a header
 * and its data (a simple reply, or one OFFSET_DATA chunk). Each answers the pieces to send, or
 * null when the reply has another shape (the misbehaviour then waits for the next reply).
 */
import { encodeChunkHeader } from '../../../../drivers/nbd/protocol/encode-transmission.ts';
import {
  NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_STRUCTURED_REPLY_HEADER_SIZE,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import { get16, get32, get64, put32, put64 } from '../../../../drivers/nbd/protocol/wire.ts';

/** Filler of a stale reply's data: no verify header, no zeros, so a client that takes it is seen to. */
const STALE_BYTE = 0xa5;

function readReply(pieces: readonly Uint8Array[]): boolean {
  return pieces.length === 2 && pieces[1]!.length > 0;
}

/**
 * `reversed-chunks` (legal, proto.md lets a server send chunks in any order): one OFFSET_DATA
 * chunk of at least 1 KiB goes out as two, the second half first, each at its own offset.
 */
export function reversedChunks(structured: boolean, extended: boolean, pieces: readonly Uint8Array[]): Uint8Array[] | null {
  if (!structured || extended || !readReply(pieces)) return null;
  const h = pieces[0]!;
  const data = pieces[1]!;
  const H = NBD_STRUCTURED_REPLY_HEADER_SIZE;
  if (h.length !== H + 8 || get16(h, 6) !== NBD_REPLY_TYPE_OFFSET_DATA || data.length < 1024) return null;
  const hi = get32(h, 8);
  const lo = get32(h, 12);
  const offset = get64(h, H);
  const half = Math.floor(data.length / 1024) * 512;
  const chunk = (flags: number, at: number, len: number): Uint8Array => {
    const b = new Uint8Array(H + 8);
    encodeChunkHeader(b, 0, flags, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, 8 + len);
    put64(b, H, offset + at);
    return b;
  };
  return [chunk(0, half, data.length - half), data.subarray(half), chunk(NBD_REPLY_FLAG_DONE, 0, half), data.subarray(0, half)];
}

/**
 * `stale-reply`: before the real reply, a copy of it as a late reply from the client's previous
 * connection would look: the cookie's generation (high half) one less, other data. A client
 * that checks the generation drops the connection; one that matches the tag alone takes it.
 */
export function staleCopy(pieces: readonly Uint8Array[]): Uint8Array[] | null {
  if (!readReply(pieces)) return null;
  const h = pieces[0]!.slice();
  put32(h, 8, (get32(h, 8) - 1) >>> 0);
  return [h, new Uint8Array(pieces[1]!.length).fill(STALE_BYTE)];
}
