// Client-side mirror (export mode = "mirror"): every write reaches every in-sync replica, reads
// go to one; a replica that crashed drops out, its dirty regions are resynchronised and it
// rejoins; the mirror's keys act or are refused.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../drivers/nbd/config/errors.ts';
import { nbdConfigFromTable } from '../../../drivers/nbd/config/load.ts';
import { Replica } from '../../../drivers/nbd/mirror/replica.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';

function scenario(o: { rw?: string; at?: string; ios?: number; fsync?: number; extra?: string } = {}): string {
  const server = (n: string) => `[[server]]\nname = "${n}"\nwrite_cache = true\n[[server.export]]\nname = "vol"\nsize = "4MiB"\n`;
  return `[scenario]
name = "mirror"
${server('a')}${server('b')}${server('c')}${o.extra !== undefined ? server(o.extra) : ''}
[nbd]
connection_pool_size = 1
connection_timeout = "10ms"
connection_retry_count = 100
dead_conn_timeout = "5ms"
reconnect = { base = "5ms", cap = "10ms" }
local_cache_size = 0
read_ahead_size = 0
resync_rate = "1Gbit"
servers = [{ name = "a", export = "vol" }, { name = "b", export = "vol" }, { name = "c", export = "vol" }]
exports = [{ name = "vol", mode = "mirror" }]

[[job]]
name = "w"
rw = "${o.rw ?? 'randwrite'}"
bs = "4KiB"
size = "1MiB"
iodepth = 4
ios = ${o.ios ?? 100}
fsync = ${o.fsync ?? 0}
verify = true
${o.at ?? ''}
[expect]
mirror_in_sync = true
liveness = "5s"
`;
}

function refused(table: unknown): ConfigError {
  try {
    nbdConfigFromTable(table, { file: 'm.toml' });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('mirror config', () => {
  it('resync keys without a mirror export are refused, naming the key', () => {
    expect(refused({ resync_rate: '1Gbit', servers: [{ name: 'a' }] }).message).toMatch(/resync_rate.*mirror/);
    expect(refused({ resync_region_size: '64KiB', servers: [{ name: 'a' }] }).message).toMatch(/resync_region_size.*mirror/);
  });

  it('a mirror cannot have backup servers', () => {
    const e = refused({ servers: [{ name: 'a', export: 'v' }, { name: 'b', export: 'v', role: 'backup' }], exports: [{ name: 'v', mode: 'mirror' }] });
    expect(e.message).toMatch(/servers\[1\]\.role/);
  });

  it('resync_rate is bytes per second from bits; the region size is kept', () => {
    const c = nbdConfigFromTable({ resync_rate: '800Mbit', resync_region_size: '128KiB', servers: [{ name: 'a', export: 'v' }], exports: [{ name: 'v', mode: 'mirror' }] }, { file: 'm.toml' });
    expect(c.resyncRateBps).toBe(100e6);
    expect(c.resyncRegionBytes).toBe(131072);
  });

  it('replicas with their own disks are a mirror, not a mixed backend', () => {
    expect(() => parseScenario(scenario(), 'm.toml')).not.toThrow();
  });
});

describe('dirty regions', () => {
  it('an extent marks every 64 KiB region it touches', () => {
    const r = new Replica(0);
    r.markDirty(60 * 1024, 8 * 1024, 65536); // bytes 61440..69631: regions 0 and 1
    r.markDirty(3 * 65536, 65536, 65536); // exactly region 3
    expect([...r.dirty]).toEqual([0, 1, 3]);
  });
});

describe('mirror of 3', () => {
  it('every write and FLUSH reaches all three disks; every read only one', () => {
    const w = buildWorld(parseScenario(scenario({ rw: 'randrw', ios: 200, fsync: 8 }), 'm.toml'), 1, { trace: false });
    runWorld(w);
    const ops = w.disks.get('nbd0')!.history().ops;
    const writes = ops.filter((o) => o.kind === 'write').length;
    const reads = ops.filter((o) => o.kind === 'read').length;
    const disks = ['a', 'b', 'c'].map((n) => w.servers.get(n)!.disks.get('vol')!.stats);
    const flushes = ops.filter((o) => o.kind === 'flush').length;
    expect(flushes).toBeGreaterThan(0);
    for (const d of disks) { expect(d.writes).toBe(writes); expect(d.flushes).toBe(flushes); }
    expect(disks.reduce((n, d) => n + d.reads, 0)).toBe(reads);
    // Round robin over three in-sync replicas: each served some.
    for (const d of disks) expect(d.reads).toBeGreaterThan(0);
  });

  it('a replica that crashed drops out, is resynchronised, rejoins, and holds the same bytes', () => {
    const at = '[[at]]\ntime = "2ms"\naction = "crash"\ntarget = "b"\n[[at]]\ntime = "12ms"\naction = "restart"\ntarget = "b"\n';
    const w = buildWorld(parseScenario(scenario({ at, ios: 3000 }), 'm.toml'), 1, { trace: false });
    runWorld(w);
    const m = w.nbds.get('nbd0')!.device.mirror!;
    const b = m.mirror.replicas[1]!;
    expect(b.dropouts).toBe(1);
    expect(b.rejoins).toBe(1);
    expect(b.state).toBe('in-sync');
    // It copied whole 64 KiB regions of the 1 MiB the job writes: at least one, at most all 16 (plus re-copies).
    expect(b.resyncedBytes % 65536).toBe(0);
    expect(b.resyncedBytes).toBeGreaterThan(0);
    const a = w.servers.get('a')!.disks.get('vol')!;
    const bd = w.servers.get('b')!.disks.get('vol')!;
    expect(Buffer.from(bd.peek(0, 1 << 20)).equals(Buffer.from(a.peek(0, 1 << 20)))).toBe(true);
  });

  it('a replica added at run time (nbd-server-add) starts with everything dirty, is copied in full and joins', () => {
    const at = '[[at]]\ntime = "5ms"\naction = "mgmt"\ncommand = "nbd-server-add d 10809 vol"\n';
    const w = buildWorld(parseScenario(scenario({ at, ios: 3000, extra: 'd' }), 'm.toml'), 1, { trace: false });
    runWorld(w);
    const m = w.nbds.get('nbd0')!.device.mirror!;
    const d = m.mirror.replicas[3]!;
    expect(d.state).toBe('in-sync');
    // All 64 regions of the 4 MiB export were dirty: at least 4 MiB copied.
    expect(d.resyncTotal).toBe(64);
    expect(d.resyncedBytes).toBeGreaterThanOrEqual(4 * 2 ** 20);
    const a = w.servers.get('a')!.disks.get('vol')!;
    const dd = w.servers.get('d')!.disks.get('vol')!;
    expect(Buffer.from(dd.peek(0, 4 << 20)).equals(Buffer.from(a.peek(0, 4 << 20)))).toBe(true);
  });

  it('removing the last in-sync replica while another is behind is refused, naming why', () => {
    const at = '[[at]]\ntime = "2ms"\naction = "crash"\ntarget = "b"\n[[at]]\ntime = "50ms"\naction = "restart"\ntarget = "b"\n';
    const w = buildWorld(parseScenario(scenario({ at, ios: 3000 }), 'm.toml'), 1, { trace: false });
    w.engine.runUntil(12_000_000);
    const dev = w.nbds.get('nbd0')!.device;
    expect(dev.mirror!.mirror.replicas[1]!.state).not.toBe('in-sync');
    // a and c are in sync: removing one leaves the other.
    dev.removeServer('c');
    expect(() => dev.removeServer('a')).toThrow("nbd0: server 'a' cannot be removed: it is the mirror's last in-sync replica: the others have not caught up (resync them first)");
  });
});
