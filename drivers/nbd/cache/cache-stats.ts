/**
 * The cache's values in the stats tree (`block/<dev>/cache/...`), read when someone looks:
 * nbd-cache-info reads the configuration and occupancy, nbd-cache-stats the counters and the
 * hit latency percentiles, and `[expect]` the hit ratio and latency.
 */
import type { StatsTree } from '../../../kernel/core/stats.ts';
import type { CacheManager } from '../managers/cache-manager.ts';

/** Keys nbd-cache-info shows (the rest is nbd-cache-stats). */
export const CACHE_INFO_KEYS = ['mode', 'policy', 'capacity_bytes', 'used_bytes', 'dirty_bytes', 'read_ahead_bytes', 'write_back_limit_bytes'] as const;

export function publishCacheStats(cache: CacheManager, stats: StatsTree, p: string): void {
  const b = cache.blocks;
  const k = b.counters;
  const wb = cache.wb;
  const lat = cache.hitLatency;
  const values: Record<string, () => number | string> = {
    mode: () => cache.mode,
    policy: () => b.policy.name,
    capacity_bytes: () => cache.opts.capacityBytes,
    used_bytes: () => b.usedBytes,
    dirty_bytes: () => b.dirtyBytes,
    read_ahead_bytes: () => cache.prefetch.detector.maxBytes,
    write_back_limit_bytes: () => wb?.opts.limitBytes ?? 0,
    hits: () => k.hits,
    misses: () => k.misses,
    hit_ratio: () => (k.hits + k.misses === 0 ? 0 : k.hits / (k.hits + k.misses)),
    read_ahead_hits: () => k.readAheadHits,
    read_ahead_reads: () => cache.prefetch.reads,
    read_ahead_fetched_bytes: () => cache.prefetch.bytes,
    cache_hints: () => cache.prefetch.hints,
    evictions: () => k.evictions,
    absorbed_writes: () => cache.absorbed,
    throttled_writes: () => cache.throttled,
    write_back_writes: () => wb?.writes ?? 0,
    write_back_bytes: () => wb?.bytes ?? 0,
    flushes_held: () => cache.flushesHeld,
    'hit_latency/p50': () => lat.percentile(50),
    'hit_latency/p99': () => lat.percentile(99),
    'hit_latency/p99.9': () => lat.percentile(99.9),
    'hit_latency/max': () => lat.max,
  };
  for (const [key, read] of Object.entries(values)) stats.gauge(`${p}/${key}`, read);
}
