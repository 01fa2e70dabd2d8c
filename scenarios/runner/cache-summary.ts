/**
 * The client cache in a run's result: what it did (hits, misses, read-ahead hits, write-back,
 * hit latency, read from the device's cache manager) and `[expect] cache` checked against it.
 */
import type { NbdDevice } from '../../drivers/nbd/device.ts';
import type { CacheExpectation, Expectations, Ns, Percentile } from '../schema/types.ts';
import type { CacheSummary, ExpectationResult } from './types.ts';

export function cacheSummaryOf(dev: NbdDevice | undefined): CacheSummary | undefined {
  const c = dev?.cache;
  if (!c || !c.enabled) return undefined;
  const k = c.blocks.counters;
  const h = c.hitLatency;
  const reads = k.hits + k.misses;
  return {
    mode: c.mode, hits: k.hits, misses: k.misses, hitRatio: reads === 0 ? 0 : k.hits / reads,
    readAheadHits: k.readAheadHits, readAheadReads: c.prefetch.reads, evictions: k.evictions,
    absorbedWrites: c.absorbed, writeBackBytes: c.wb?.bytes ?? 0, dirtyBytes: c.blocks.dirtyBytes,
    hitLatency: { p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99), 'p99.9': h.percentile(99.9), max: h.max },
  };
}

/**
 * `[expect] cache` on every NBD device's cache, or on `device`'s: named `cache.…`, or
 * `cache.nbdN.…` when the run has several NBD devices.
 */
export function cacheExpectations(e: Expectations, devices: readonly { readonly name: string; readonly cache?: CacheSummary }[]): ExpectationResult[] {
  const want = e.cache;
  if (!want) return [];
  const targets = devices.filter((d) => want.device === undefined || d.name === want.device);
  if (targets.length === 0) return [{ name: 'cache', ok: false, actual: 'no NBD device', limit: 'a cache' }];
  return targets.flatMap((d) => {
    const rows = cacheVerdicts(want, d.cache);
    return devices.length > 1 ? rows.map((x) => ({ ...x, name: x.name.replace(/^cache/, `cache.${d.name}`) })) : rows;
  });
}

function cacheVerdicts(want: CacheExpectation, s: CacheSummary | undefined): ExpectationResult[] {
  if (!s) return [{ name: 'cache', ok: false, actual: 'no cache (local_cache_size = 0)', limit: 'a cache' }];
  const out: ExpectationResult[] = [];
  if (want.hitRatio !== undefined) out.push({ name: 'cache.hit_ratio', ok: s.hitRatio >= want.hitRatio, actual: Number(s.hitRatio.toFixed(4)), limit: want.hitRatio });
  if (want.readAheadHits !== undefined) out.push({ name: 'cache.read_ahead_hits', ok: s.readAheadHits >= want.readAheadHits, actual: s.readAheadHits, limit: want.readAheadHits });
  for (const [p, limit] of Object.entries(want.hitLatency) as [Percentile, Ns][]) {
    const actual = s.hits === 0 ? null : s.hitLatency[p];
    out.push({ name: `cache.hit_latency.${p}`, ok: actual !== null && actual <= limit, actual, limit, unit: 'ns' });
  }
  return out;
}
