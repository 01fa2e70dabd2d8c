/**
 * Transmission-phase encoders. They write into a caller's buffer at an offset and return the
 * number of bytes written, so the hot path reuses one header slab and allocates nothing.
 * Cookies travel as two u32 halves: hi (the connection generation) and lo (the tag).
 */
import {
  NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS, NBD_REPLY_TYPE_ERROR, NBD_REPLY_TYPE_ERROR_OFFSET,
  NBD_REPLY_TYPE_NONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_REPLY_TYPE_OFFSET_HOLE, NBD_REQUEST_MAGIC,
  NBD_REQUEST_SIZE, NBD_SIMPLE_REPLY_MAGIC, NBD_SIMPLE_REPLY_SIZE, NBD_STRUCTURED_REPLY_HEADER_SIZE,
  NBD_STRUCTURED_REPLY_MAGIC, NBD_EXTENDED_REQUEST_MAGIC, NBD_EXTENDED_REQUEST_SIZE, NBD_EXTENDED_REPLY_MAGIC,
  NBD_EXTENDED_REPLY_SIZE, NBD_REPLY_TYPE_BLOCK_STATUS_EXT,
} from './uapi.ts';
import { put16, put32, put64, utf8Bytes } from './wire.ts';

/** 28-byte request header; a WRITE's `length` data bytes follow it on the wire. */
export function encodeRequest(
  b: Uint8Array, off: number, flags: number, type: number,
  cookieHi: number, cookieLo: number, offset: number, length: number,
): number {
  put32(b, off, NBD_REQUEST_MAGIC);
  put16(b, off + 4, flags);
  put16(b, off + 6, type);
  put32(b, off + 8, cookieHi);
  put32(b, off + 12, cookieLo);
  put64(b, off + 16, offset);
  put32(b, off + 24, length);
  return NBD_REQUEST_SIZE;
}

/**
 * The fields of a request header that change from one request to the next (flags, type, offset,
 * length), in a header whose magic and cookie are already in place (a tag's header slot: the
 * same generation and tag for every request on it), at `off` in the slab `v` views. Returns the
 * header's size. DataView stores: the optimiser makes them plain stores, where put16 and put64
 * were left as calls in the submit path.
 */
export function encodeRequestFields(v: DataView, off: number, extended: boolean, flags: number, type: number, offset: number, length: number): number {
  v.setUint16(off + 4, flags);
  v.setUint16(off + 6, type);
  v.setUint32(off + 16, Math.floor(offset / 0x100000000));
  v.setUint32(off + 20, offset);
  if (!extended) {
    v.setUint32(off + 24, length);
    return NBD_REQUEST_SIZE;
  }
  v.setUint32(off + 24, Math.floor(length / 0x100000000));
  v.setUint32(off + 28, length);
  return NBD_EXTENDED_REQUEST_SIZE;
}

/** 16-byte simple reply header; a successful READ's data follows it. */
export function encodeSimpleReply(b: Uint8Array, off: number, error: number, cookieHi: number, cookieLo: number): number {
  put32(b, off, NBD_SIMPLE_REPLY_MAGIC);
  put32(b, off + 4, error);
  put32(b, off + 8, cookieHi);
  put32(b, off + 12, cookieLo);
  return NBD_SIMPLE_REPLY_SIZE;
}

/** 20-byte structured reply chunk header; `length` payload bytes follow. */
export function encodeChunkHeader(
  b: Uint8Array, off: number, flags: number, type: number, cookieHi: number, cookieLo: number, length: number,
): number {
  put32(b, off, NBD_STRUCTURED_REPLY_MAGIC);
  put16(b, off + 4, flags);
  put16(b, off + 6, type);
  put32(b, off + 8, cookieHi);
  put32(b, off + 12, cookieLo);
  put32(b, off + 16, length);
  return NBD_STRUCTURED_REPLY_HEADER_SIZE;
}

/** NBD_REPLY_TYPE_NONE with DONE: 20 bytes. */
export function encodeChunkNone(b: Uint8Array, off: number, cookieHi: number, cookieLo: number): number {
  return encodeChunkHeader(b, off, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, cookieHi, cookieLo, 0);
}

/** OFFSET_DATA header plus its 64-bit offset (28 bytes); the `dataLength` data bytes follow. */
export function encodeChunkOffsetDataHeader(
  b: Uint8Array, off: number, flags: number, cookieHi: number, cookieLo: number, offset: number, dataLength: number,
): number {
  encodeChunkHeader(b, off, flags, NBD_REPLY_TYPE_OFFSET_DATA, cookieHi, cookieLo, 8 + dataLength);
  put64(b, off + 20, offset);
  return 28;
}

/** OFFSET_HOLE chunk: 32 bytes. */
export function encodeChunkOffsetHole(
  b: Uint8Array, off: number, flags: number, cookieHi: number, cookieLo: number, offset: number, holeSize: number,
): number {
  encodeChunkHeader(b, off, flags, NBD_REPLY_TYPE_OFFSET_HOLE, cookieHi, cookieLo, 12);
  put64(b, off + 20, offset);
  put32(b, off + 28, holeSize);
  return 32;
}

/** BLOCK_STATUS chunk; `extents` alternates length, status flags. Returns a fresh array. */
export function encodeChunkBlockStatus(
  flags: number, cookieHi: number, cookieLo: number, contextId: number, extents: ArrayLike<number>,
): Uint8Array {
  const len = 4 + 4 * extents.length;
  const b = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE + len);
  encodeChunkHeader(b, 0, flags, NBD_REPLY_TYPE_BLOCK_STATUS, cookieHi, cookieLo, len);
  put32(b, 20, contextId);
  for (let i = 0; i < extents.length; i++) put32(b, 24 + 4 * i, extents[i]!);
  return b;
}

/** ERROR chunk (or any error-category type sharing its layout). Returns a fresh array. */
export function encodeChunkError(
  flags: number, cookieHi: number, cookieLo: number, error: number, message = '', type = NBD_REPLY_TYPE_ERROR,
): Uint8Array {
  const m = utf8Bytes(message);
  const b = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE + 6 + m.length);
  encodeChunkHeader(b, 0, flags, type, cookieHi, cookieLo, 6 + m.length);
  put32(b, 20, error);
  put16(b, 24, m.length);
  b.set(m, 26);
  return b;
}

/** ERROR_OFFSET chunk: error, message, then the 64-bit offset where it happened. */
export function encodeChunkErrorOffset(
  flags: number, cookieHi: number, cookieLo: number, error: number, offset: number, message = '',
): Uint8Array {
  const m = utf8Bytes(message);
  const b = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE + 14 + m.length);
  encodeChunkHeader(b, 0, flags, NBD_REPLY_TYPE_ERROR_OFFSET, cookieHi, cookieLo, 14 + m.length);
  put32(b, 20, error);
  put16(b, 24, m.length);
  b.set(m, 26);
  put64(b, 26 + m.length, offset);
  return b;
}

// ---- EXTENDED_HEADERS (NBD_OPT_EXTENDED_HEADERS acknowledged) ----------------------------------

/** The 32-byte layout extended requests and replies share: magic, flags, type, cookie, offset, 64-bit length. */
function encodeExtended(
  magic: number, b: Uint8Array, off: number, flags: number, type: number,
  cookieHi: number, cookieLo: number, offset: number, length: number,
): number {
  put32(b, off, magic);
  put16(b, off + 4, flags);
  put16(b, off + 6, type);
  put32(b, off + 8, cookieHi);
  put32(b, off + 12, cookieLo);
  put64(b, off + 16, offset);
  put64(b, off + 24, length);
  return NBD_EXTENDED_REQUEST_SIZE;
}

/** 32-byte extended request header; a WRITE carries NBD_CMD_FLAG_PAYLOAD_LEN and `length` data bytes follow. */
export function encodeExtendedRequest(
  b: Uint8Array, off: number, flags: number, type: number,
  cookieHi: number, cookieLo: number, offset: number, length: number,
): number {
  return encodeExtended(NBD_EXTENDED_REQUEST_MAGIC, b, off, flags, type, cookieHi, cookieLo, offset, length);
}

/** 32-byte extended reply chunk header: `offset` echoes the request's; `length` payload bytes follow. */
export function encodeExtendedReplyHeader(
  b: Uint8Array, off: number, flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number,
): number {
  return encodeExtended(NBD_EXTENDED_REPLY_MAGIC, b, off, flags, type, cookieHi, cookieLo, offset, length);
}

/**
 * Chunk header in the negotiated style: structured (20 bytes) or, when `ext`, extended (32 bytes,
 * echoing the request offset `reqOffset`). Returns the header size; the payload goes after it.
 */
export function encodeReplyHeader(
  ext: boolean, b: Uint8Array, off: number, flags: number, type: number, cookieHi: number, cookieLo: number,
  reqOffset: number, length: number,
): number {
  return ext
    ? encodeExtendedReplyHeader(b, off, flags, type, cookieHi, cookieLo, reqOffset, length)
    : encodeChunkHeader(b, off, flags, type, cookieHi, cookieLo, length);
}

/** BLOCK_STATUS_EXT chunk (extended header): context id, count, then (64-bit length, 64-bit status) pairs. */
export function encodeChunkBlockStatusExt(
  flags: number, cookieHi: number, cookieLo: number, reqOffset: number, contextId: number, extents: ArrayLike<number>,
): Uint8Array {
  const n = extents.length / 2;
  const len = 8 + 16 * n;
  const b = new Uint8Array(NBD_EXTENDED_REPLY_SIZE + len);
  encodeExtendedReplyHeader(b, 0, flags, NBD_REPLY_TYPE_BLOCK_STATUS_EXT, cookieHi, cookieLo, reqOffset, len);
  put32(b, 32, contextId);
  put32(b, 36, n);
  for (let i = 0; i < n; i++) {
    put64(b, 40 + 16 * i, extents[2 * i]!);
    put64(b, 48 + 16 * i, extents[2 * i + 1]!);
  }
  return b;
}

/** An error chunk in the negotiated style (see encodeChunkError). */
export function encodeReplyError(
  ext: boolean, flags: number, cookieHi: number, cookieLo: number, reqOffset: number, error: number, message = '',
): Uint8Array {
  if (!ext) return encodeChunkError(flags, cookieHi, cookieLo, error, message);
  const m = utf8Bytes(message);
  const b = new Uint8Array(NBD_EXTENDED_REPLY_SIZE + 6 + m.length);
  encodeExtendedReplyHeader(b, 0, flags, NBD_REPLY_TYPE_ERROR, cookieHi, cookieLo, reqOffset, 6 + m.length);
  put32(b, 32, error);
  put16(b, 36, m.length);
  b.set(m, 38);
  return b;
}
