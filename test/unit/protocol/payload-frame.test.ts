// Payload frames (docs/nbd-extensions.md): CRC-32C check value, compression round trips, the
// never-bigger rule, and corruption found by the checksum.
import { describe, expect, test } from 'vitest';
import { crc32c, frame, parseFrameHeader, unframe } from '../../../drivers/nbd/protocol/payload-frame.ts';
import { hex, toHex } from './helpers.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
/** 4 KiB: the first `zeros` bytes zero, the rest from a xorshift (incompressible). */
function block(zeros: number, seed = 1): Uint8Array {
  const b = new Uint8Array(4096);
  let x = seed;
  for (let i = zeros; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

describe('payload frames', () => {
  test('CRC-32C check value of "123456789" is 0xe3069283 (RFC 3720 B.4)', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // 32 zero bytes, RFC 3720 B.4
  });

  test('header layout: raw, wire, checksum, flags, reserved; the checksum covers the offset, then the data', () => {
    // CRC-32C of 8 zero bytes (offset 0, big-endian) then "123456789", and of offset 4096 then the
    // same bytes: computed by a bitwise CRC-32C written apart from this code (Python, poly 0x82f63b78).
    const f = frame(ascii('123456789'), 0, 1, 0);
    expect(toHex(f.header)).toBe('00000009' + '00000009' + '820e59c9' + '0000' + '0000');
    expect(toHex(frame(ascii('123456789'), 0, 1, 4096).header).slice(16, 24)).toBe('df9ee4a0');
    expect(parseFrameHeader(hex('00000009 00000009 00000000 0002 0000'), 0, 100)).toMatch(/reserved frame bits/);
    expect(parseFrameHeader(hex('00000009 00000008 00000000 0000 0000'), 0, 100)).toMatch(/uncompressed frame/);
  });

  test.each([[1, 'lz4'], [2, 'deflate']])('algorithm %i (%s): a half-zero block shrinks and round-trips; random data goes raw', (alg) => {
    const half = block(2048);
    const f = frame(half, alg, 1, 8192);
    const h = parseFrameHeader(f.header, 0, 1 << 20);
    if (typeof h === 'string') throw new Error(h);
    expect(h.flags).toBe(1);
    expect(h.wire).toBeLessThan(2048 + 200);
    const out = new Uint8Array(4096);
    expect(unframe(h, f.body, out, alg, 1, 8192)).toBe('');
    expect(Buffer.from(out).equals(Buffer.from(half))).toBe(true);
    const rnd = frame(block(0), alg, 1, 0);
    expect([rnd.body.length, rnd.header[13]]).toEqual([4096, 0]);
  });

  test('a flipped bit is "corrupt" with checksums on, and passes unseen without them', () => {
    const data = block(0, 7);
    const f = frame(data, 0, 1, 0);
    const h = parseFrameHeader(f.header, 0, 1 << 20);
    if (typeof h === 'string') throw new Error(h);
    const bad = f.body.slice();
    bad[100] = bad[100]! ^ 0x10;
    expect(unframe(h, bad, new Uint8Array(4096), 0, 1, 0)).toBe('corrupt');
    expect(unframe({ ...h, checksum: 0 }, bad, new Uint8Array(4096), 0, 0, 0)).toBe('');
  });

  test('good data at another offset (a flipped offset bit in a request header) is "corrupt" too', () => {
    const f = frame(block(0, 7), 0, 1, 1 << 20);
    const h = parseFrameHeader(f.header, 0, 1 << 20);
    if (typeof h === 'string') throw new Error(h);
    expect(unframe(h, f.body, new Uint8Array(4096), 0, 1, 1 << 20)).toBe('');
    expect(unframe(h, f.body, new Uint8Array(4096), 0, 1, (1 << 20) ^ (1 << 13))).toBe('corrupt');
  });
});
