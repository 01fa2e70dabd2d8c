// Verify chunks are filled from precomputed bodies and their CRC combined from precomputed
// parts; the bytes must be exactly those of the plain definition (zlib crc32 over header then body).
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillChunks } from '../../../scenarios/workload/chunk-crc.ts';
import { fillChunk } from '../../../scenarios/workload/verify.ts';

/** The definition, written out: body bytes (seed + i) mod 256, header fields, CRC over bytes 0..23 then 32..511. */
function plainChunk(job: number, cid: number, off: number): Uint8Array {
  const b = new Uint8Array(512);
  const dv = new DataView(b.buffer);
  const seed = (cid * 131 + (off / 512) * 7) & 255;
  for (let i = 32; i < 512; i++) b[i] = (seed + i) & 255;
  dv.setUint32(0, 0x4f525646, true);
  dv.setUint32(4, job, true);
  dv.setUint32(8, cid % 2 ** 32, true);
  dv.setUint32(12, Math.floor(cid / 2 ** 32), true);
  dv.setUint32(16, off % 2 ** 32, true);
  dv.setUint32(20, Math.floor(off / 2 ** 32), true);
  dv.setUint32(24, crc32(b.subarray(32), crc32(b.subarray(0, 24))), true);
  return b;
}

describe('verify chunk fill', () => {
  it('gives the bytes of the plain definition, CRC included', () => {
    fc.assert(fc.property(fc.nat(1000), fc.nat(2 ** 40), fc.nat(2 ** 30), (job, cid, block) => {
      const got = new Uint8Array(1024).fill(0xcc);
      fillChunk(got, 512, job, cid, block * 512);
      expect(Buffer.from(got.subarray(512)).equals(Buffer.from(plainChunk(job, cid, block * 512)))).toBe(true);
      expect(got.subarray(0, 512).every((x) => x === 0xcc)).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('verify write fill (whole request)', () => {
  it('gives, chunk for chunk, the bytes fillChunk gives (offsets past 4 GiB included; word-aligned buffer or not)', () => {
    fc.assert(fc.property(fc.nat(1000), fc.nat(2 ** 40), fc.nat(2 ** 33), fc.integer({ min: 1, max: 600 }), fc.nat(3), (job, cid, block, n, skew) => {
      const want = new Uint8Array(n * 512);
      for (let k = 0; k < n; k++) fillChunk(want, k * 512, job, cid, (block + k) * 512);
      const got = new Uint8Array(n * 512 + skew).fill(0x11).subarray(skew);
      fillChunks(got, n * 512, 0x4f525646, job, cid, block * 512);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }), { numRuns: 200 });
  });

  it('carries the offset across a 4 GiB boundary inside one write', () => {
    for (const edge of [2 ** 32, 2 ** 33, 3 * 2 ** 32, 2 ** 40]) {
      for (const before of [1, 2, 255]) {
        const n = before + 3;
        const block = edge / 512 - before;
        const want = new Uint8Array(n * 512);
        for (let k = 0; k < n; k++) fillChunk(want, k * 512, 7, 12345, (block + k) * 512);
        const got = new Uint8Array(n * 512);
        fillChunks(got, n * 512, 0x4f525646, 7, 12345, block * 512);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      }
    }
  });
});
