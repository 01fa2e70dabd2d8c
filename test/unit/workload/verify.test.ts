import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { Verifier } from '../../../scenarios/workload/verify.ts';
import { parseSize, resolveJob } from '../../../scenarios/workload/spec.ts';

const BS = 1024; // two chunks

describe('verify headers', () => {
  it('lays out magic, job, content id, offset and a CRC32 of the chunk', () => {
    const v = new Verifier();
    const buf = new Uint8Array(BS);
    const cid = v.beginWrite(buf, 4096, BS, 7, 100);
    const dv = new DataView(buf.buffer);
    expect(dv.getUint32(0, true)).toBe(0x4f525646);
    expect(dv.getUint32(4, true)).toBe(7);
    expect(dv.getUint32(8, true)).toBe(cid);
    expect(dv.getUint32(16, true)).toBe(4096);
    expect(dv.getUint32(512 + 16, true)).toBe(4096 + 512); // second chunk names its own offset
    const want = crc32(buf.subarray(32, 512), crc32(buf.subarray(0, 24)));
    expect(dv.getUint32(24, true)).toBe(want);
  });
});

describe('verifier rules', () => {
  function rd(v: Verifier, disk: Uint8Array, issue: () => void) {
    const snap = new Float64Array(BS / 512);
    v.beginRead(0, BS, snap);
    issue();
    const obs = new Float64Array(BS / 512);
    const bad = v.endRead(disk, 0, BS, snap, obs, 1000);
    return { bad, obs: Array.from(obs) };
  }

  it('accepts zeros before any write completed, and rejects them after', () => {
    const v = new Verifier();
    const zeros = new Uint8Array(BS);
    expect(rd(v, zeros, () => {}).bad).toBe(0);
    const a = new Uint8Array(BS);
    const cid = v.beginWrite(a, 0, BS, 1, 10);
    v.endWrite(cid, 20, true);
    expect(rd(v, zeros, () => {}).bad).toBe(2);
    expect(v.messages[0]).toMatch(/zeros, but a write to it had completed/);
  });

  it('accepts a write still in flight or completed concurrently, rejects a superseded one', () => {
    const v = new Verifier();
    const a = new Uint8Array(BS);
    const ca = v.beginWrite(a, 0, BS, 1, 10);
    v.endWrite(ca, 20, true);
    // read sees A: fine, A is the latest
    expect(rd(v, a, () => {}).obs).toEqual([ca, ca]);
    const b = new Uint8Array(BS);
    const cb = v.beginWrite(b, 0, BS, 1, 30); // issued after A completed
    // B in flight while the read runs: either A or B is acceptable
    expect(rd(v, a, () => {}).bad).toBe(0);
    expect(rd(v, b, () => {}).bad).toBe(0);
    v.endWrite(cb, 40, true);
    // B completed before the read was issued and was issued after A completed: A is stale
    expect(rd(v, a, () => {}).bad).toBe(2);
    expect(v.messages.at(-1)).toMatch(/stale data/);
    expect(rd(v, b, () => {}).bad).toBe(0);
  });

  it('rejects a chunk at the wrong offset and a flipped byte', () => {
    const v = new Verifier();
    const a = new Uint8Array(BS);
    v.endWrite(v.beginWrite(a, 512 * 8, BS, 1, 1), 2, true);
    expect(rd(v, a, () => {}).bad).toBe(2); // written for offset 4096, read at 0
    const c = new Uint8Array(BS);
    v.endWrite(v.beginWrite(c, 0, BS, 1, 3), 4, true);
    c[700] = c[700]! ^ 1;
    const r = rd(v, c, () => {});
    expect(r.bad).toBe(1);
    expect(r.obs[1]).toBe(-2);
  });
});

describe('verifier after trims', () => {
  it('does not judge a trimmed chunk until a later verified write has completed', () => {
    const v = new Verifier();
    const a = new Uint8Array(BS);
    v.endWrite(v.beginWrite(a, 0, BS, 1, 10), 20, true);
    v.beginTrim(0, BS);
    const read = (data: Uint8Array) => {
      const snap = new Float64Array(2);
      v.beginRead(0, BS, snap);
      return v.endRead(data, 0, BS, snap, null, 1000);
    };
    expect(read(new Uint8Array(BS))).toBe(0); // trim in flight: zeros or A, not judged
    v.endTrim(0, BS, 30);
    expect(read(new Uint8Array(BS))).toBe(0);
    expect(read(a)).toBe(0);
    expect(v.unchecked).toBe(6);
    const b = new Uint8Array(BS);
    v.endWrite(v.beginWrite(b, 0, BS, 1, 40), 50, true); // issued after the trim completed
    expect(read(b)).toBe(0);
    expect(read(new Uint8Array(BS))).toBe(2);
    expect(read(a)).toBe(2);
    expect(v.checked).toBe(6);
  });
});

describe('job spec', () => {
  it('parses sizes and applies defaults', () => {
    expect(parseSize('4k', 'bs')).toBe(4096);
    expect(parseSize('1M', 'size')).toBe(1 << 20);
    expect(parseSize('2GiB', 'size')).toBe(2 * 1024 ** 3);
    const j = resolveJob({ name: 'a', rw: 'randread', bs: '4k' }, 1 << 20);
    expect(j).toMatchObject({ iodepth: 1, numjobs: 1, size: 1 << 20, offset: 0, ios: 256, rwmixread: 50, verify: false });
  });

  it('names the job and key in errors', () => {
    expect(() => resolveJob({ name: 'x', rw: 'randread', bs: 1000 }, 1 << 20)).toThrow(/job 'x': bs must be a positive multiple of 512/);
    expect(() => resolveJob({ name: 'x', rw: 'zig' as never, bs: 512 }, 1 << 20)).toThrow(/job 'x': rw must be one of/);
    expect(() => resolveJob({ name: 'x', rw: 'read', bs: 512, offset: '1m', size: '1m' }, 1 << 20)).toThrow(/beyond the device/);
    expect(() => parseSize('4 furlongs', 'job y: bs')).toThrow(/job y: bs: cannot read size/);
    expect(() => resolveJob({ name: 'x', rw: 'read', bs: 512, iodepth: 0 }, 1 << 20)).toThrow(/job 'x': iodepth/);
  });
});
