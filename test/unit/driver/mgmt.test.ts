import { describe, expect, it } from 'vitest';
import { MGMT_COMMAND_NAMES, renderJson, renderTable, runMgmt, type MgmtContext } from '../../../drivers/nbd/mgmt/index.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { config, rig } from './harness.ts';
import { BS } from './workload.ts';

const MiB = 1 << 20;
const MS = 1_000_000;
const cfg = config({
  connectionPoolSize: 2, connectionMaxCount: 8, connectionTimeoutNs: 50 * MS,
  servers: [{ name: 'a', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' }],
});

function setup() {
  const r = rig(51, cfg, (n) => { n.addServer('a', { size: 4 * MiB }); n.addServer('b', { size: 4 * MiB }); });
  const stats = r.kernel.stats;
  r.engine.runUntil(10 * MS);
  const ctx: MgmtContext = { device: r.dev, stats };
  return { r, ctx, stats };
}

describe('management commands', () => {
  it('all 13 of the spec exist', () => {
    expect([...MGMT_COMMAND_NAMES].sort()).toEqual([
      'nbd-cache-flush', 'nbd-cache-info', 'nbd-cache-stats', 'nbd-connection-info', 'nbd-connection-remove',
      'nbd-connection-reset', 'nbd-load-balancer-config', 'nbd-load-balancer-info', 'nbd-network-stats',
      'nbd-performance-stats', 'nbd-server-add', 'nbd-server-info', 'nbd-server-remove',
    ]);
  });

  it('connection info reads the stats tree; reset reconnects; remove drains and closes', () => {
    const { r, ctx } = setup();
    const info = runMgmt(ctx, ['nbd-connection-info']);
    expect(info.table!.rows.length).toBe(2);
    expect(info.table!.rows.map((row) => row[2])).toEqual(['transmission', 'transmission']);
    runMgmt(ctx, ['nbd-connection-reset', '1']);
    r.engine.runUntil(r.engine.now + 1 * MS);
    expect(r.dev.conns.slots[1]!.phase).toBe('backoff');
    r.engine.runUntil(r.engine.now + 500 * MS);
    expect(r.dev.conns.slots[1]!.phase).toBe('transmission');
    expect(runMgmt(ctx, ['nbd-connection-info', '1']).table!.rows[0]![8]).toBe(1);
    runMgmt(ctx, ['nbd-connection-remove', '0']);
    r.engine.runUntil(r.engine.now + 5 * MS);
    expect(r.dev.conns.slots[0]!.phase).toBe('closed');
    expect(() => runMgmt(ctx, ['nbd-connection-remove', 'x'])).toThrow(/nbd-connection-remove: CONN must be a non-negative integer, got 'x'/);
  });

  it('server add/remove change the pool; server info lists both', () => {
    const { r, ctx } = setup();
    runMgmt(ctx, ['nbd-server-add', 'b', '10809', 'disk']);
    r.engine.runUntil(r.engine.now + 10 * MS);
    const info = runMgmt(ctx, ['nbd-server-info']);
    expect(info.table!.rows.map((row) => row[1])).toEqual(['a', 'b']);
    expect(r.dev.conns.live).toBe(4);
    runMgmt(ctx, ['nbd-server-remove', 'b']);
    r.engine.runUntil(r.engine.now + 10 * MS);
    expect(r.dev.conns.live).toBe(2);
    expect(() => runMgmt(ctx, ['nbd-server-remove', 'zzz'])).toThrow(/no server named 'zzz'/);
  });

  it('cache commands tell the truth about a write-through cache; perf and network stats count the I/O', () => {
    const { r, ctx } = setup();
    for (let i = 0; i < 10; i++) r.blk.submit(REQ_OP.READ, i * BS, BS, new Uint8Array(BS));
    r.blk.submit(REQ_OP.WRITE, 0, BS, new Uint8Array(BS).fill(1));
    r.engine.runUntil(r.engine.now + 10 * MS);
    const cs = runMgmt(ctx, ['nbd-cache-stats']).data as Record<string, unknown>;
    // 10 different blocks: all missed; nothing dirty without write-back.
    expect(cs).toMatchObject({ hits: 0, misses: 10, evictions: 0 });
    // Cached: blocks 0-9 and the read-ahead windows [8K, 24K), [24K, 88K), [88K, 344K) the
    // sequential reads opened (16K, 64K, 256K: 4× each), less block 0, whose read was sent
    // before the write to it and so is not stored: 344K - 4K.
    expect(runMgmt(ctx, ['nbd-cache-info']).data).toMatchObject({ mode: 'write-through', dirty_bytes: 0, used_bytes: 344 * 1024 - 4096 });
    expect((runMgmt(ctx, ['nbd-cache-flush']).data as { writeBackBytes: number }).writeBackBytes).toBe(0);
    const perf = runMgmt(ctx, ['nbd-performance-stats']).data as Record<string, number>;
    expect(perf['read/count']).toBe(10);
    expect(perf['write/count']).toBe(1);
    // Each read crosses the fake wire twice (20 µs each way): latency at least 40 µs.
    expect(perf['read/p50_ns']).toBeGreaterThanOrEqual(40_000);
    const net = runMgmt(ctx, ['nbd-network-stats']).data as Record<string, number>;
    expect(net['net/bytes_sent']).toBeGreaterThanOrEqual(11 * 28 + BS);
  });

  it('load balancer info and config', () => {
    const { ctx, r } = setup();
    expect(runMgmt(ctx, ['nbd-load-balancer-info']).data).toMatchObject({ policy: 'round-robin' });
    runMgmt(ctx, ['nbd-load-balancer-config', 'single']);
    expect(r.dev.lb.policy).toBe('single');
    expect(() => runMgmt(ctx, ['nbd-load-balancer-config', 'fastest'])).toThrow(/unknown policy 'fastest'/);
  });

  it('renders as an aligned table and as JSON', () => {
    const { ctx } = setup();
    const out = runMgmt(ctx, ['nbd-connection-info']);
    const text = renderTable(out);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^nbd0 \(ready\): connections/);
    expect(lines[1]).toMatch(/^index\s+server\s+state/);
    expect(lines.length).toBe(2 + 1 + 2);
    expect(JSON.parse(renderJson(out)).data.connections.length).toBe(2);
    expect(() => runMgmt(ctx, ['nbd-bogus'])).toThrow(/unknown management command 'nbd-bogus'/);
  });
});
