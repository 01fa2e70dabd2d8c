import { devPrefix, keyValues } from './rows.ts';
import type { MgmtCommand } from './types.ts';

export const performanceStats: MgmtCommand = {
  name: 'nbd-performance-stats',
  usage: 'nbd-performance-stats',
  summary: 'Latency percentiles per op, IOPS and bandwidth, error and connection counts.',
  run(ctx, args) {
    const p = `${devPrefix(ctx)}/perf`;
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: performance`, ctx.stats.snapshot(p), p);
  },
};

export const networkStats: MgmtCommand = {
  name: 'nbd-network-stats',
  usage: 'nbd-network-stats',
  summary: 'Bytes sent and received (payload raw vs wire when compressing), send batches, back-pressure, TLS handshakes, checksum failures and retries, error classes.',
  run(ctx, args) {
    const p = devPrefix(ctx);
    const snap = { ...ctx.stats.snapshot(`${p}/net`), ...ctx.stats.snapshot(`${p}/errors`) };
    return keyValues([this.name, ...args], `${ctx.device.opts.name}: network`, snap, p);
  },
};
