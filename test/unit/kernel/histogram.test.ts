import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Histogram, bucketIndex, bucketLow, bucketWidth } from '../../../kernel/lib/histogram.ts';
import { ThroughputMeter } from '../../../kernel/lib/throughput.ts';

/** Nearest-rank percentile on a sorted array: the independent reference. */
function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

describe('Histogram', () => {
  it('is exact below 256 ns', () => {
    const h = new Histogram();
    for (let v = 0; v < 256; v++) h.record(v);
    expect(h.percentile(50)).toBe(127);
    expect(h.min).toBe(0);
    expect(h.max).toBe(255);
    expect(h.count).toBe(256);
    expect(h.mean).toBeCloseTo(127.5, 10);
  });

  it('buckets tile the integers without gaps', () => {
    for (let i = 0; i < 256 + 128 * 40; i++) {
      const lo = bucketLow(i);
      expect(bucketIndex(lo)).toBe(i);
      expect(bucketIndex(lo + bucketWidth(i) - 1)).toBe(i);
      expect(bucketIndex(lo + bucketWidth(i))).toBe(i + 1);
    }
    // above 2^32: [2^40, 2^41) has 128 buckets of width 2^33
    expect(bucketIndex(2 ** 40 + 2 ** 33)).toBe(bucketIndex(2 ** 40) + 1);
    expect(bucketIndex(2 ** 40 + 2 ** 33 - 1)).toBe(bucketIndex(2 ** 40));
  });

  it('percentiles are within 1 % of a sorted array (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000_000_000 }), { minLength: 1, maxLength: 400 }),
        (values) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          for (const p of [50, 90, 99, 99.9, 100]) {
            const want = exact(sorted, p);
            const got = h.percentile(p);
            expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(0.01 * want, 0.5));
          }
          expect(h.min).toBe(sorted[0]);
          expect(h.max).toBe(sorted[sorted.length - 1]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('p99.9 of 1..100000 µs-scale values', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100_000; i++) h.record(i * 1000);
    // nearest rank: p99.9 → rank 99900 → 99 900 000 ns
    expect(Math.abs(h.percentile(99.9) - 99_900_000) / 99_900_000).toBeLessThan(0.01);
    expect(Math.abs(h.percentile(50) - 50_000_000) / 50_000_000).toBeLessThan(0.01);
  });

  it('merge equals recording everything in one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 1000; i++) {
      const v = (i * 7919) % 100_003;
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    a.merge(b);
    expect(a.count).toBe(all.count);
    expect(a.summary()).toEqual(all.summary());
  });

  it('keeps its counts while its buckets grow (small values first, then ever larger; merge into an empty one)', () => {
    const h = new Histogram();
    // 100 values of 10 ns, then 100 of 1 ms, then 100 of 10 s: the median stays 1 ms, p10 stays 10 ns.
    for (let i = 0; i < 100; i++) h.record(10);
    for (let i = 0; i < 100; i++) h.record(1_000_000);
    for (let i = 0; i < 100; i++) h.record(10_000_000_000);
    expect(h.percentile(10)).toBe(10);
    expect(Math.abs(h.percentile(50) - 1_000_000)).toBeLessThanOrEqual(1_000_000 / 256);
    expect(h.percentile(100)).toBe(10_000_000_000);
    const empty = new Histogram().merge(h);
    expect(empty.summary()).toEqual(h.summary());
    expect(empty.buckets()).toEqual(h.buckets());
    expect(new Histogram().buckets()).toEqual([]);
  });

  it('reset empties it', () => {
    const h = new Histogram();
    h.record(12345);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(99)).toBe(0);
    expect(h.buckets()).toEqual([]);
    h.record(7);
    expect(h.min).toBe(7);
  });

  it('rejects negative or non-finite values', () => {
    const h = new Histogram();
    expect(() => h.record(-1)).toThrow(/non-negative/);
    expect(() => h.record(Number.NaN)).toThrow(/non-negative/);
    expect(() => h.percentile(101)).toThrow(/percentile/);
  });
});

describe('Histogram.recordEach', () => {
  it('records into three histograms what three records would', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.nat(1 << 20), fc.double({ min: 0, max: 2 ** 40, noNaN: true })), { maxLength: 60 }), (values) => {
      const each = [new Histogram(), new Histogram(), new Histogram()] as const;
      const one = new Histogram();
      for (const v of values) {
        Histogram.recordEach(v, each[0], each[1], each[2]);
        one.record(v);
      }
      for (const h of each) expect(h.summary()).toEqual(one.summary());
    }));
  });
});

describe('ThroughputMeter', () => {
  it('computes IOPS and bandwidth over the span and per window', () => {
    const m = new ThroughputMeter(1_000_000); // 1 ms windows
    m.start(0);
    for (let t = 0; t < 1_000_000; t += 10_000) m.add(t, 4096); // 100 ops in the first ms
    const w = m.lastWindow(1_500_000);
    expect(w.ops).toBe(100);
    expect(w.iops).toBeCloseTo(100_000, 6);
    const tot = m.total(2_000_000);
    expect(tot.iops).toBeCloseTo(50_000, 6);
    expect(tot.bytesPerSec).toBeCloseTo(50_000 * 4096, 3);
  });
});
