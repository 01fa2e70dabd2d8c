/**
 * Payload frames of the Orion compression and checksum extensions (docs/nbd-extensions.md,
 * "Payload frames"): the 16-byte frame header, CRC-32C, and the two compressors. Pure and
 * synchronous (zlib's *Sync calls and lz4js are deterministic), so the simulator may use them.
 */
import { compressBlock, compressBound, decompressBlock } from 'lz4js';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4, NBD_ORION_FRAME_COMPRESSED, NBD_ORION_FRAME_SIZE } from './uapi.ts';
import { get16, get32, put16, put32 } from './wire.ts';

// ---- CRC-32C (Castagnoli, reflected 0x82f63b78), table per byte -------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  return (crc32cUpdate(0xffffffff, b, start, end) ^ 0xffffffff) >>> 0;
}

function crc32cUpdate(c: number, b: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

const offsetBytes = new Uint8Array(8);

/**
 * The checksum of a payload frame: CRC-32C over the export offset of its first byte (8 bytes,
 * big-endian), then its raw bytes, so data that lands at the wrong offset fails it too.
 */
export function payloadChecksum(offset: number, raw: Uint8Array): number {
  put32(offsetBytes, 0, Math.floor(offset / 0x1_0000_0000));
  put32(offsetBytes, 4, offset >>> 0);
  return (crc32cUpdate(crc32cUpdate(0xffffffff, offsetBytes, 0, 8), raw, 0, raw.length) ^ 0xffffffff) >>> 0;
}

// ---- compression ---------------------------------------------------------------------------

const lz4Hash = new Uint32Array(1 << 16);

/**
 * `raw` compressed with `algorithm`, or null when that does not make it smaller (the frame then
 * carries the raw bytes). The result is a fresh array.
 */
export function compress(algorithm: number, raw: Uint8Array): Uint8Array | null {
  if (raw.length === 0) return null;
  let out: Uint8Array;
  if (algorithm === NBD_ORION_COMPRESS_LZ4) {
    const dst = new Uint8Array(compressBound(raw.length));
    lz4Hash.fill(0);
    const n = compressBlock(raw, dst, 0, raw.length, lz4Hash);
    if (n === 0) return null;
    out = dst.subarray(0, n);
  } else if (algorithm === NBD_ORION_COMPRESS_DEFLATE) {
    out = deflateRawSync(raw, { level: 1 });
  } else {
    throw new RangeError(`unknown compression algorithm ${algorithm}`);
  }
  return out.length < raw.length ? out : null;
}

/** Decompresses `wire` into `dst` (exactly dst.length bytes expected); false when it does not fit exactly. */
export function decompressInto(algorithm: number, wire: Uint8Array, dst: Uint8Array): boolean {
  if (algorithm === NBD_ORION_COMPRESS_LZ4) {
    const scratch = new Uint8Array(dst.length + 64);
    const end = decompressBlock(wire, scratch, 0, wire.length, 0);
    if (end !== dst.length) return false;
    dst.set(scratch.subarray(0, end));
    return true;
  }
  if (algorithm === NBD_ORION_COMPRESS_DEFLATE) {
    let out: Uint8Array;
    try {
      out = inflateRawSync(wire, { maxOutputLength: dst.length + 1 });
    } catch {
      return false;
    }
    if (out.length !== dst.length) return false;
    dst.set(out);
    return true;
  }
  return false;
}

// ---- frame header --------------------------------------------------------------------------

export interface FrameHeader {
  raw: number;
  wire: number;
  checksum: number;
  flags: number;
}

export function encodeFrameHeader(b: Uint8Array, off: number, raw: number, wire: number, checksum: number, flags: number): number {
  put32(b, off, raw);
  put32(b, off + 4, wire);
  put32(b, off + 8, checksum);
  put16(b, off + 12, flags);
  put16(b, off + 14, 0);
  return NBD_ORION_FRAME_SIZE;
}

/** The frame header at `off`, or a description of what is wrong with it. */
export function parseFrameHeader(b: Uint8Array, off: number, maxWire: number): FrameHeader | string {
  const raw = get32(b, off);
  const wire = get32(b, off + 4);
  const flags = get16(b, off + 12);
  if ((flags & ~NBD_ORION_FRAME_COMPRESSED) !== 0 || get16(b, off + 14) !== 0) return `reserved frame bits set (flags 0x${flags.toString(16)})`;
  if (wire > maxWire) return `wire length ${wire} exceeds ${maxWire}`;
  if ((flags & NBD_ORION_FRAME_COMPRESSED) === 0 && wire !== raw) return `uncompressed frame with wire length ${wire} ≠ raw length ${raw}`;
  return { raw, wire, checksum: get32(b, off + 8), flags };
}

/**
 * Frames `raw` for sending: the 16-byte header and the bytes to follow (compressed or `raw`
 * itself). `compression` / `checksum` are the negotiated algorithms (0 = off); `offset` is where
 * `raw` belongs in the export (covered by the checksum).
 */
export function frame(raw: Uint8Array, compression: number, checksum: number, offset: number): { header: Uint8Array; body: Uint8Array } {
  const packed = compression !== 0 ? compress(compression, raw) : null;
  const body = packed ?? raw;
  const header = new Uint8Array(NBD_ORION_FRAME_SIZE);
  encodeFrameHeader(header, 0, raw.length, body.length, checksum !== 0 ? payloadChecksum(offset, raw) : 0, packed ? NBD_ORION_FRAME_COMPRESSED : 0);
  return { header, body };
}

/**
 * Unframes into `dst` (dst.length = the frame's raw length): decompresses if flagged and checks
 * the checksum (over `offset`, where the data belongs, and the data) when `checksum` is on. Returns '' when good, 'corrupt' on a checksum mismatch, or
 * a framing fault (a protocol violation).
 */
export function unframe(h: FrameHeader, body: Uint8Array, dst: Uint8Array, compression: number, checksum: number, offset: number): string {
  if (h.raw !== dst.length) return `frame raw length ${h.raw}, expected ${dst.length}`;
  if ((h.flags & NBD_ORION_FRAME_COMPRESSED) !== 0) {
    if (compression === 0) return 'compressed frame without negotiated compression';
    // With checksums on, a body that will not decompress was damaged in flight: corrupt, not a protocol fault.
    if (!decompressInto(compression, body, dst)) return checksum !== 0 ? 'corrupt' : `payload does not decompress to ${h.raw} bytes`;
  } else dst.set(body);
  if (checksum !== 0 && payloadChecksum(offset, dst) !== h.checksum) return 'corrupt';
  return '';
}
