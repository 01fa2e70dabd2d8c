/**
 * Write data of a chosen compressibility, as fio's buffer_compress_percentage makes it (with its
 * default buffer_compress_chunk of 512): each 512-byte chunk starts with (100 − N) % random bytes
 * and ends with zeros, so a compressor can shrink it by about N % and no more.
 */
import type { Rng } from '../../hw-sim/engine/rng.ts';

export const COMPRESS_CHUNK = 512;

/** Random bytes at the head of each chunk for `percent` compressibility. */
export function randomBytesPerChunk(percent: number): number {
  return Math.round((COMPRESS_CHUNK * (100 - percent)) / 100);
}

/** `bytes` (a multiple of 512) of data that compresses by about `percent` %, drawn from `rng`. */
export function compressibleData(bytes: number, percent: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(bytes);
  const head = randomBytesPerChunk(percent);
  for (let c = 0; c < bytes; c += COMPRESS_CHUNK) {
    for (let i = 0; i < head; i += 4) {
      const v = rng.int(0x1_0000_0000);
      for (let k = 0; k < 4 && i + k < head; k++) out[c + i + k] = (v >>> (8 * k)) & 255;
    }
  }
  return out;
}
