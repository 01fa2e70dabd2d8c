import { devPrefix, keyValues } from './rows.ts';
import type { MgmtCommand } from './types.ts';

export const cacheInfo: MgmtCommand = {
  name: 'nbd-cache-info',
  usage: 'nbd-cache-info',
  summary: 'Cache configuration: mode, capacity, read-ahead and write-back sizes.',
  run(ctx, args) {
    const p = `${devPrefix(ctx)}/cache`;
    const snap = ctx.stats.snapshot(p);
    const conf: Record<string, string | number | boolean> = {};
    for (const k of ['mode', 'capacity_bytes', 'read_ahead_bytes', 'write_back_bytes']) {
      const v = snap[`${p}/${k}`];
      if (v !== undefined) conf[`${p}/${k}`] = v;
    }
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: cache`, conf, p);
  },
};

export const cacheStats: MgmtCommand = {
  name: 'nbd-cache-stats',
  usage: 'nbd-cache-stats',
  summary: 'Cache counters: hits, misses, read-ahead hits, dirty bytes, flushes (a pass-through cache never hits).',
  run(ctx, args) {
    const p = `${devPrefix(ctx)}/cache`;
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: cache statistics`, ctx.stats.snapshot(p), p);
  },
};

export const cacheFlush: MgmtCommand = {
  name: 'nbd-cache-flush',
  usage: 'nbd-cache-flush',
  summary: 'Writes dirty cached data back to the servers (nothing is dirty in a pass-through cache).',
  run(ctx, args) {
    const written = ctx.device.cache.flush(ctx.device.now);
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: cache flushed`, data: { writtenBackBytes: written, mode: ctx.device.cache.stats().mode } };
  },
};
