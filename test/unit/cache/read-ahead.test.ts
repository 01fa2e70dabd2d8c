import { describe, expect, it } from 'vitest';
import { ReadAhead, type ReadAheadWindow } from '../../../drivers/nbd/cache/read-ahead.ts';

const K = 1024;
const M = 1024 * K;

describe('on-demand read-ahead', () => {
  it('a sequential 64 KiB reader: first read nothing, second starts a 256 KiB window (4×, as 64K ≤ 2M/32), reaching each window fetches 2× more up to 2 MiB', () => {
    const ra = new ReadAhead(2 * M, () => 1 << 30);
    const w: ReadAheadWindow = { offset: 0, length: 0 };
    const got: [number, number][] = [];
    for (let off = 0; off < 8 * M; off += 64 * K) if (ra.onRead(off, 64 * K, w)) got.push([w.offset / K, w.length / K]);
    // Hand-derived: read 0 opens the stream; read 64K continues it → window [128K, +256K).
    // The read at 128K enters it: 256K ≥ 2M/16 → 2× = 512K at 384K; the read at 384K enters
    // that: 1M at 896K; the read at 896K: 2M at 1920K; then 2M at 3968K (the cap).
    expect(got.slice(0, 5)).toEqual([[128, 256], [384, 512], [896, 1024], [1920, 2048], [3968, 2048]]);
    expect(got.every(([, l]) => l <= 2048)).toBe(true);
  });

  it('random reads never trigger it; a stream survives three interleaved others', () => {
    const ra = new ReadAhead(2 * M, () => 1 << 30);
    const w: ReadAheadWindow = { offset: 0, length: 0 };
    let n = 0;
    for (let i = 0; i < 100; i++) if (ra.onRead(((i * 7919) % 1000) * 1 * M, 4 * K, w)) n++;
    expect(n).toBe(0);
    const ra2 = new ReadAhead(1 * M, () => 1 << 30);
    const starts = [0, 100 * M, 200 * M, 300 * M];
    const windows: number[] = [];
    for (let step = 0; step < 3; step++) for (const s of starts) if (ra2.onRead(s + step * 4 * K, 4 * K, w)) windows.push(w.offset);
    // Each stream's second read starts a 16K window (4 × 4K) at +8K; its third read enters that
    // window, which fetches the next (64K) at +24K: 8 windows, none lost to the interleaving.
    expect(windows).toEqual([...starts.map((s) => s + 8 * K), ...starts.map((s) => s + 24 * K)]);
  });

  it('stops at the end of the device and is off at read_ahead_size 0', () => {
    const ra = new ReadAhead(2 * M, () => 256 * K);
    const w: ReadAheadWindow = { offset: 0, length: 0 };
    ra.onRead(0, 64 * K, w);
    expect(ra.onRead(64 * K, 64 * K, w)).toBe(true);
    expect([w.offset, w.length]).toEqual([128 * K, 128 * K]); // 256K asked, 128K left on the device
    expect(ra.onRead(128 * K, 64 * K, w)).toBe(false);
    expect(new ReadAhead(0, () => 1 << 30).onRead(0, 4 * K, w)).toBe(false);
  });
});
