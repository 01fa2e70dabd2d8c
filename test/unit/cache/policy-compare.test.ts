/**
 * The measurement behind the default eviction policy (docs/cache.md): hit ratios of LRU and
 * S3-FIFO on seeded skewed and scanning block traces, through the real BlockCache.
 * `npx vitest run test/unit/cache/policy-compare.test.ts` prints the table.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { BlockCache, CACHE_BLOCK } from '../../../drivers/nbd/cache/block-cache.ts';
import type { EvictionPolicyName } from '../../../drivers/nbd/cache/policy.ts';

const SLOTS = 1024;

/** Zipf(α) over n items by inverse CDF (seeded). */
function zipf(n: number, alpha: number, seed: string): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, alpha); cdf[i] = sum; }
  const rnd = seedrandom(seed);
  // Ranks are scattered over the block space so that hot blocks are not neighbours.
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
  return () => {
    const u = rnd() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
    return perm[lo]!;
  };
}

function hitRatio(policy: EvictionPolicyName, trace: readonly number[]): number {
  const c = new BlockCache(SLOTS * CACHE_BLOCK, policy);
  const buf = new Uint8Array(CACHE_BLOCK);
  for (const b of trace) {
    if (c.covers(b * CACHE_BLOCK, CACHE_BLOCK)) c.read(b * CACHE_BLOCK, CACHE_BLOCK, buf, 0);
    else { c.counters.misses++; c.fill(b * CACHE_BLOCK, CACHE_BLOCK, buf, 0, false); }
  }
  return c.counters.hits / trace.length;
}

const N = 60_000;
const workloads: Record<string, number[]> = {
  // Skewed: zipf 0.9 over 16× the cache.
  zipf: (() => { const z = zipf(16 * SLOTS, 0.9, 'zipf'); return Array.from({ length: N }, z); })(),
  // A hot set that fits (zipf 0.9 over 900 blocks) interleaved 1:1 with a one-pass scan of cold blocks.
  'hot+scan': (() => {
    const z = zipf(900, 0.9, 'hot');
    const t: number[] = [];
    let cold = 100_000;
    for (let i = 0; i < N; i++) t.push(i % 2 === 0 ? z() : cold++);
    return t;
  })(),
  // A loop over 1200 blocks, 1.17× the cache.
  loop: Array.from({ length: N }, (_, i) => i % 1200),
};

describe('eviction policy by measurement', () => {
  const table: Record<string, Record<EvictionPolicyName, number>> = {};
  for (const [name, trace] of Object.entries(workloads)) {
    table[name] = { lru: hitRatio('lru', trace), 's3-fifo': hitRatio('s3-fifo', trace) };
  }
  console.log(`hit ratio, ${SLOTS} slots, ${N} reads\n${Object.entries(table).map(([w, r]) => `${w.padEnd(9)} lru ${r.lru.toFixed(3)}  s3-fifo ${r['s3-fifo'].toFixed(3)}`).join('\n')}`);

  it('LRU never hits on a loop longer than the cache (each block was evicted just before its turn)', () => {
    expect(table['loop']!.lru).toBe(0);
    expect(table['loop']!['s3-fifo']).toBeGreaterThan(0.3);
  });

  it('a one-pass scan does not push the hot set out of S3-FIFO, as it does out of LRU', () => {
    const t = table['hot+scan']!;
    // At best every hot access after warm-up hits: just under half of all reads.
    expect(t['s3-fifo']).toBeLessThan(0.5);
    expect(t['s3-fifo']).toBeGreaterThan(t.lru + 0.05);
  });

  it('on a skewed workload S3-FIFO is not worse than LRU', () => {
    expect(table['zipf']!['s3-fifo']).toBeGreaterThanOrEqual(table['zipf']!.lru - 0.01);
  });
});
