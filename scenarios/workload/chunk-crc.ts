/**
 * Fast verify-chunk filling and CRC (the verifier's per-byte cost at GB/s). A chunk's body
 * (bytes 32..511) depends only on its seed (0..255), so the 256 bodies and their CRC-32s are
 * computed once: filling copies a body, and the chunk CRC (over the 24 header bytes, then the
 * body) is the header CRC shifted over 480 bytes, XOR the body CRC — zlib's crc32_combine with a
 * fixed length, precomputed as a linear map. The result is bit-for-bit zlib's crc32.
 *
 * A whole write (fillChunks) goes further: consecutive chunks' seeds step by 7, so their bodies
 * are one run of a 256-chunk strip (one or two copies per write); and the header CRC is affine in
 * the offset bytes, so each chunk's CRC is a per-write constant XOR eight table lookups.
 */
import { crc32 } from 'node:zlib';

const CHUNK = 512;
const HEADER = 32;
const BODY = CHUNK - HEADER;

/** Whole chunks per seed (header bytes zero), to copy from. */
const SEEDED: Uint8Array[] = [];
const BODY_CRC = new Uint32Array(256);
for (let s = 0; s < 256; s++) {
  const c = new Uint8Array(CHUNK);
  for (let i = HEADER; i < CHUNK; i++) c[i] = (s + i) & 255;
  SEEDED.push(c);
  BODY_CRC[s] = crc32(c.subarray(HEADER));
}

/** Byte-wise CRC-32 table (reflected polynomial 0xedb88320). */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = times(mat, mat[n]!);
}

/** zlib's crc32_combine(crc1, 0, len) as a function of crc1 (linear over GF(2)). */
function combineZero(crc1: number, len: number): number {
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  square(even, odd);
  square(odd, even);
  do {
    square(even, odd);
    if (len & 1) crc1 = times(even, crc1);
    len >>= 1;
    if (len === 0) break;
    square(odd, even);
    if (len & 1) crc1 = times(odd, crc1);
    len >>= 1;
  } while (len !== 0);
  return crc1 >>> 0;
}

/** The shift over the body as a matrix: SHIFT[n] = combineZero(1 << n, BODY). */
const SHIFT = new Uint32Array(32);
for (let n = 0; n < 32; n++) SHIFT[n] = combineZero((1 << n) >>> 0, BODY);

/** CRC-32 of the 24 header bytes at `at`. */
function headCrc(buf: Uint8Array, at: number): number {
  let c = 0xffffffff;
  for (let i = at; i < at + 24; i++) c = TABLE[(c ^ buf[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Copies the body of `seed` into the chunk at `at` (the header is written by the caller). */
export function putBody(buf: Uint8Array, at: number, seed: number): void {
  buf.set(SEEDED[seed]!, at);
}

/** The chunk CRC when its body is the body of `seed` (true for every chunk putBody filled). */
export function seededChunkCrc(buf: Uint8Array, at: number, seed: number): number {
  return (times(SHIFT, headCrc(buf, at)) ^ BODY_CRC[seed]!) >>> 0;
}

/** Whether the body of the chunk at `at` is exactly that of `seed`. */
export function hasBody(buf: Uint8Array, at: number, seed: number): boolean {
  const ref = SEEDED[seed]!;
  for (let i = HEADER; i < CHUNK; i++) if (buf[at + i] !== ref[i]) return false;
  return true;
}

/** Chunk j of the strip has seed 7j mod 256 (7 is odd, so every seed appears once). */
const STRIP = new Uint8Array(256 * CHUNK);
for (let j = 0; j < 256; j++) STRIP.set(SEEDED[(7 * j) & 255]!, j * CHUNK);
/** j of seed s in the strip: s · 7⁻¹ mod 256 (7 · 183 = 1281 ≡ 1). */
const stripIndex = (s: number): number => (s * 183) & 255;

/** STRIP with every chunk's magic and job words in place (header bytes 0..7), by job. */
const STAMPED = new Map<number, { readonly magic: number; readonly strip: Uint8Array }>();

/** The strip of (magic, job): a job's writes then store five header words a chunk, not seven. */
function stampedStrip(magic: number, job: number): Uint8Array {
  const known = STAMPED.get(job);
  if (known !== undefined && known.magic === magic) return known.strip;
  const strip = STRIP.slice();
  for (let at = 0; at < strip.length; at += CHUNK) {
    putU32(strip, at, magic);
    putU32(strip, at + 4, job);
  }
  STAMPED.set(job, { magic, strip });
  return strip;
}

/** SHIFT applied to the CRC's linear part for byte value b at header byte 16 + p (the offset field). */
const OFF_SHIFTED = new Uint32Array(8 * 256);
{
  const zero = new Uint8Array(24);
  const z = headCrc(zero, 0);
  for (let p = 0; p < 8; p++) {
    for (let b = 0; b < 256; b++) {
      zero[16 + p] = b;
      OFF_SHIFTED[p * 256 + b] = times(SHIFT, (headCrc(zero, 0) ^ z) >>> 0);
    }
    zero[16 + p] = 0;
  }
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 255;
  b[at + 1] = (v >>> 8) & 255;
  b[at + 2] = (v >>> 16) & 255;
  b[at + 3] = (v >>> 24) & 255;
}

const TWO32 = 4294967296;

/** Typed-array words are little-endian here (they are on every platform Node runs on; checked, not assumed). */
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Fills `bytes` (whole chunks) of `buf` with the verify chunks of content id `cid`, job `job`, at
 * device offset `off`: the same bytes as fillChunk per chunk. The headers go in as 32-bit words
 * when `buf` is word-aligned (7 stores a chunk, not 28).
 */
export function fillChunks(buf: Uint8Array, bytes: number, magic: number, job: number, cid: number, off: number): void {
  const n = bytes / CHUNK;
  const seed0 = (cid * 131 + (off / CHUNK) * 7) & 255;
  const strip = stampedStrip(magic, job);
  for (let done = 0, j = stripIndex(seed0); done < n;) {
    const run = Math.min(n - done, 256 - j);
    buf.set(strip.subarray(j * CHUNK, (j + run) * CHUNK), done * CHUNK);
    done += run;
    j = 0;
  }
  const cidLo = cid % TWO32;
  const cidHi = Math.floor(cid / TWO32);
  // The header CRC with the offset field zero, shifted over the body: the per-write constant.
  putU32(buf, 0, magic);
  putU32(buf, 4, job);
  putU32(buf, 8, cidLo);
  putU32(buf, 12, cidHi);
  putU32(buf, 16, 0);
  putU32(buf, 20, 0);
  // The offset's halves step by CHUNK from here (no float modulo per chunk; the low half is kept
  // as int32 bits, which the stores write unchanged). Its low byte stays the same across the write
  // and its bits 16..63 across a 64 KiB segment, so their CRC terms are constants: per chunk, the
  // body's term and that of the offset's second byte remain.
  let lo = (off % TWO32) | 0;
  let hi = Math.floor(off / TWO32);
  const fixed = times(SHIFT, headCrc(buf, 0)) ^ OFF_SHIFTED[lo & 255]!;
  const words = LITTLE && (buf.byteOffset & 3) === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, (n * CHUNK) >>> 2) : null;
  for (let k = 0, seed = seed0; k < n;) {
    const run = Math.min(n - k, Math.ceil((65536 - (lo & 65535)) / CHUNK));
    const upper = fixed ^ OFF_SHIFTED[512 + ((lo >>> 16) & 255)]! ^ OFF_SHIFTED[768 + (lo >>> 24)]! ^ hiTerm(hi);
    if (words !== null) headerWords(words, k, run, cidLo, cidHi, lo, hi, upper, seed);
    else headerBytes(buf, k, run, magic, job, cidLo, cidHi, lo, hi, upper, seed);
    k += run;
    seed = (seed + 7 * run) & 255;
    lo = (lo + run * CHUNK) | 0;
    if (lo === 0) hi++; // the segment ended at a multiple of 4 GiB
  }
}

/**
 * The headers of chunks k..k+run-1 of one segment, as 32-bit words (5 stores a chunk, not 28:
 * magic and job came with the strip). Constants are literals and tables locals: a module-level
 * binding is reloaded and rechecked at every use in optimised code.
 */
function headerWords(words: Uint32Array, k: number, run: number, cidLo: number, cidHi: number, lo: number, hi: number, upper: number, seed: number): void {
  const offShifted = OFF_SHIFTED;
  const bodyCrc = BODY_CRC;
  let b1 = 256 + ((lo >>> 8) & 255);
  for (let w = k * 128, end = (k + run) * 128; w < end; w += 128) {
    words[w + 2] = cidLo;
    words[w + 3] = cidHi;
    words[w + 4] = lo;
    words[w + 5] = hi;
    words[w + 6] = upper ^ bodyCrc[seed]! ^ offShifted[b1]!;
    lo = (lo + 512) | 0;
    b1 += 2;
    seed = (seed + 7) & 255;
  }
}

/** headerWords for a buffer that is not word-aligned. */
function headerBytes(buf: Uint8Array, k: number, run: number, magic: number, job: number, cidLo: number, cidHi: number, lo: number, hi: number, upper: number, seed: number): void {
  let b1 = 256 + ((lo >>> 8) & 255);
  for (let at = k * CHUNK, end = (k + run) * CHUNK; at < end; at += CHUNK) {
    putU32(buf, at, magic);
    putU32(buf, at + 4, job);
    putU32(buf, at + 8, cidLo);
    putU32(buf, at + 12, cidHi);
    putU32(buf, at + 16, lo);
    putU32(buf, at + 20, hi);
    putU32(buf, at + 24, upper ^ BODY_CRC[seed]! ^ OFF_SHIFTED[b1]!);
    lo = (lo + CHUNK) | 0;
    b1 += CHUNK >>> 8;
    seed = (seed + 7) & 255;
  }
}

/** The CRC term of the offset's high half (header bytes 20..23). */
function hiTerm(hi: number): number {
  return OFF_SHIFTED[1024 + (hi & 255)]! ^ OFF_SHIFTED[1280 + ((hi >>> 8) & 255)]! ^ OFF_SHIFTED[1536 + ((hi >>> 16) & 255)]! ^ OFF_SHIFTED[1792 + (hi >>> 24)]!;
}
