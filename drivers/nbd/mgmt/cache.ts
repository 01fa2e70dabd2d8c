import { CACHE_INFO_KEYS } from '../cache/cache-stats.ts';
import type { StatValue } from '../../../kernel/core/stats.ts';
import { devPrefix, keyValues } from './rows.ts';
import type { MgmtCommand } from './types.ts';

export const cacheInfo: MgmtCommand = {
  name: 'nbd-cache-info',
  usage: 'nbd-cache-info',
  summary: 'Cache mode (off, write-through, write-back), eviction policy, capacity, used and dirty bytes, read-ahead and write-back limits.',
  run(ctx, args) {
    const p = `${devPrefix(ctx)}/cache`;
    const snap = ctx.stats.snapshot(p);
    const conf: Record<string, StatValue> = {};
    for (const k of CACHE_INFO_KEYS) {
      const v = snap[`${p}/${k}`];
      if (v !== undefined) conf[`${p}/${k}`] = v;
    }
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: cache`, conf, p);
  },
};

export const cacheStats: MgmtCommand = {
  name: 'nbd-cache-stats',
  usage: 'nbd-cache-stats',
  summary: 'Cache counters: hits, misses, hit ratio, read-ahead hits, evictions, write-back bytes, hit latency percentiles (ns).',
  run(ctx, args) {
    const p = `${devPrefix(ctx)}/cache`;
    const snap = ctx.stats.snapshot(p);
    const counters: Record<string, StatValue> = {};
    for (const [k, v] of Object.entries(snap)) if (!(CACHE_INFO_KEYS as readonly string[]).includes(k.slice(p.length + 1))) counters[k] = v;
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: cache statistics`, counters, p);
  },
};

export const cacheFlush: MgmtCommand = {
  name: 'nbd-cache-flush',
  usage: 'nbd-cache-flush',
  summary: 'Writes every dirty byte back now and then sends an NBD FLUSH; reports the bytes being written back.',
  run(ctx, args) {
    const cache = ctx.device.cache;
    const bytes = cache.flushAll();
    return {
      command: [this.name, ...args],
      title: `${ctx.device.opts.name}: cache flush started`,
      data: { mode: cache.mode, writeBackBytes: bytes, writeBackTotalBytes: cache.wb?.bytes ?? 0 },
    };
  },
};
