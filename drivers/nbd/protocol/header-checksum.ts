/**
 * Header checksums of the Orion checksum extension (docs/nbd-extensions.md, "Header checksums"):
 * with CRC-32C in force, every transmission-phase header (request, simple reply, structured or
 * extended chunk) is followed by the CRC-32C of its bytes, and every chunk payload the receiver
 * buffers whole (all types but OFFSET_DATA, when not empty) by the CRC-32C of the payload. Both
 * ends use these: a mismatch means the stream's framing cannot be trusted (hard disconnect).
 */
import type { ByteQueue } from './byte-queue.ts';
import { hard, hex32, type ProtocolError } from './errors.ts';
import { crc32c } from './payload-frame.ts';
import {
  IHAVEOPT_HI, IHAVEOPT_LO, NBD_OPTION_HEADER_SIZE, NBD_OPTION_REPLY_HEADER_SIZE, NBD_ORION_HEADER_CHECKSUM_SIZE,
  NBD_REP_MAGIC_HI, NBD_REP_MAGIC_LO,
} from './uapi.ts';
import { get32, put32 } from './wire.ts';

const HC = NBD_ORION_HEADER_CHECKSUM_SIZE;

/** Writes the CRC-32C of b[off, off+n) at off+n; returns n + 4 (the sealed length). */
export function sealHeader(b: Uint8Array, off: number, n: number): number {
  put32(b, off + n, crc32c(b, off, off + n));
  return n + HC;
}

/**
 * A fresh chunk [header | payload] (H header bytes) sealed for the wire: [header | crc | payload
 * | crc], the payload's checksum left out when the payload is empty.
 */
export function sealChunk(chunk: Uint8Array, H: number): Uint8Array {
  const len = chunk.length - H;
  const out = new Uint8Array(chunk.length + HC + (len > 0 ? HC : 0));
  out.set(chunk.subarray(0, H), 0);
  sealHeader(out, 0, H);
  if (len > 0) {
    out.set(chunk.subarray(H), H + HC);
    sealHeader(out, H + HC, len);
  }
  return out;
}

/** Whether the 4 bytes after b[off, off+n) are the CRC-32C of those bytes. */
export function sealOk(b: Uint8Array, off: number, n: number): boolean {
  return get32(b, off + n) === crc32c(b, off, off + n);
}

/**
 * An option request (16-byte header) or option reply (20-byte header) sealed for the wire once the
 * checksum extension is granted: [header | crc | data | crc] (docs/nbd-extensions.md).
 */
export function sealOption(message: Uint8Array, H: number): Uint8Array {
  return sealChunk(message, H);
}

/**
 * Checks the `len` data bytes at `at` in `q` against the checksum after them (the caller made
 * sure they are queued; nothing to check when len is 0): null, or the error. Handshake data only
 * (short, rare): it is copied out first.
 */
export function checkQueuedData(q: ByteQueue, at: number, len: number, where: string): ProtocolError | null {
  if (len === 0) return null;
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = q.u8(at + i);
  const want = crc32c(data);
  const got = q.u32(at + len);
  return got === want ? null : headerMismatch(where, got, want);
}

/** Whether `b` starts with an option reply's magic (what the server seals once checksums are granted). */
export function isOptionReply(b: Uint8Array): boolean {
  return b.length >= NBD_OPTION_REPLY_HEADER_SIZE && get32(b, 0) === NBD_REP_MAGIC_HI && get32(b, 4) === NBD_REP_MAGIC_LO;
}

/** Whether `b` starts with an option request's magic (what the client seals once checksums are granted). */
export function isOptionRequest(b: Uint8Array): boolean {
  return b.length >= NBD_OPTION_HEADER_SIZE && get32(b, 0) === IHAVEOPT_HI && get32(b, 4) === IHAVEOPT_LO;
}

/** The bytes an option message of `H` header and `len` data bytes takes on the wire, sealed or not. */
export function optionWireLength(H: number, len: number, sealed: boolean): number {
  return sealed ? H + HC + len + (len > 0 ? HC : 0) : H + len;
}

const scratch = new Uint8Array(64);

/**
 * Checks the header at the front of `q` (`n` bytes, at most 60, followed by its checksum; the
 * caller made sure n + 4 bytes are queued). Null when it matches, else the ProtocolError.
 */
export function checkQueuedHeader(q: ByteQueue, n: number, where: string): ProtocolError | null {
  for (let i = 0; i < n; i += 4) put32(scratch, i, q.u32(i)); // headers are multiples of 4 bytes
  const want = crc32c(scratch, 0, n);
  const got = q.u32(n);
  return got === want ? null : headerMismatch(where, got, want);
}

export function headerMismatch(where: string, got: number, want: number): ProtocolError {
  return hard('header-checksum', where, `header checksum ${hex32(got)}, computed ${hex32(want)}`);
}
