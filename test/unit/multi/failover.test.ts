// Backup servers carry I/O only while every primary is down; failover time is measured from the
// first failed request to I/O flowing again, and [expect] failover bounds it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbdConfigFromTable } from '../../../drivers/nbd/config/load.ts';
import { NO_BUGS } from '../../../hw-sim/engine/bugs.ts';
import { ServerRoles } from '../../../drivers/nbd/health/failover.ts';
import { serversByRole, standbyWindows } from '../../../scenarios/checkers/backup-standby.ts';
import { ConnectionSlot } from '../../../drivers/nbd/managers/connection-slot.ts';
import { buildWorld, runner, runScenario } from '../../../scenarios/runner/index.ts';
import { cli } from '../cli/harness.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';
import { loadScenario, parseScenario } from '../../../scenarios/schema/index.ts';
import { readFileSync } from 'node:fs';

const FILE = join(import.meta.dirname, '../../../scenarios/multi-backup-failover.toml');

function slot(index: number, server: number, usable: boolean): ConnectionSlot {
  const c = new ConnectionSlot(index, server);
  if (usable) Object.defineProperty(c, 'usable', { value: true });
  return c;
}

describe('server roles', () => {
  it('a backup is allowed only while no primary connection is usable and healthy, and never without failover', () => {
    const roles = new ServerRoles(true, NO_BUGS);
    roles.set(0, 'primary');
    roles.set(1, 'backup');
    const p = slot(0, 0, true);
    const b = slot(1, 1, true);
    roles.update([p, b], () => false);
    expect([roles.allows(p), roles.allows(b)]).toEqual([true, false]);
    roles.update([slot(0, 0, false), b], () => false);
    expect(roles.allows(b)).toBe(true);
    // A removed primary does not count as up.
    roles.update([p, b], (s) => s === 0);
    expect(roles.allows(b)).toBe(true);
    // A primary the health probe marked unhealthy counts as down: the backup takes over.
    roles.update([p, b], () => false, (s) => s === 0);
    expect(roles.allows(b)).toBe(true);
    roles.update([p, b], () => false, () => false);
    expect(roles.allows(b)).toBe(false);
    const off = new ServerRoles(false, NO_BUGS);
    off.set(0, 'backup');
    off.update([slot(0, 0, true)], () => false);
    expect(off.allows(slot(0, 0, true))).toBe(false);
  });

  it('a backup server without failover enabled is refused by the config', () => {
    expect(() => nbdConfigFromTable({ server_failover_enabled: false, servers: [{ name: 'a' }, { name: 'b', role: 'backup' }] }, { file: 'c.toml' }))
      .toThrow(/servers\[1\]\.role: a backup server carries I\/O only on failover/);
  });
});

describe('multi-backup-failover.toml', () => {
  it('the backup carries nothing before the crash, everything while the primary is down, nothing once it is back; the failover is measured', () => {
    const s = loadScenario(FILE);
    const w = buildWorld(s, 1, { trace: false });
    w.engine.runUntil(9_000_000);
    const dev = w.nbd!.device;
    const done = (i: number) => dev.perf.byServer[i]?.count ?? 0;
    expect(done(0)).toBeGreaterThan(0);
    expect(done(1)).toBe(0);
    // Crash at 10 ms, noticed 20 ms later (dead_conn_timeout): the backup has taken over by 35 ms.
    w.engine.runUntil(35_000_000);
    const primaryAt35 = done(0);
    expect(done(1)).toBeGreaterThan(0);
    w.engine.runUntil(39_000_000);
    // While the primary is down it completes nothing more.
    expect(done(0)).toBe(primaryAt35);
    // Restarted at 40 ms and dialled again within a connect timeout (10 ms) and a backoff (≤ 10 ms):
    // by 70 ms the primary carries the I/O again and the backup gets nothing new.
    w.engine.runUntil(70_000_000);
    const backupAt70 = done(1);
    const primaryAt70 = done(0);
    expect(primaryAt70).toBeGreaterThan(primaryAt35);
    w.engine.runUntil(80_000_000);
    expect(done(1)).toBe(backupAt70);
    expect(done(0)).toBeGreaterThan(primaryAt70);
    runWorld(w);
    // One outage: from the primary's last reply (just before its crash at 10 ms) to the backup's
    // first completion, which needs dead_conn_timeout (20 ms) to notice the silence first.
    expect(dev.failover.times).toHaveLength(1);
    expect(dev.failover.times[0]!).toBeGreaterThanOrEqual(20_000_000);
    expect(dev.failover.times[0]!).toBeLessThan(30_000_000);
  });

  it('`orion-sim run` prints the measured failover time', async () => {
    const r = await cli(['run', FILE], { runner });
    expect(r.code).toBe(0);
    // Between dead_conn_timeout (20 ms: the primary's silence noticed) and the 30 ms limit.
    const m = /failover \(first failed request → I\/O flowing again\)\n\s+device\s+time\n\s+nbd0\s+(\d+\.\d+)ms/.exec(r.out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(20);
    expect(Number(m![1])).toBeLessThan(30);
  });

  it('[expect] failover fails a run whose failover is slower than its limit, or that measured none', () => {
    const text = readFileSync(FILE, 'utf8');
    const slow = runScenario(parseScenario(text.replace('failover = "30ms"', 'failover = "5ms"'), 'f.toml'), 1, { trace: false });
    const row = slow.expectations.find((e) => e.name === 'failover')!;
    expect(row.ok).toBe(false);
    expect(slow.failovers?.[0]?.device).toBe('nbd0');
    const calm = text.replace(/\[\[at\]\]\ntime = "10ms"\naction = "crash"\ntarget = "primary"\n/, '').replace(/\[\[at\]\]\ntime = "40ms"\naction = "restart"\ntarget = "primary"\n/, '');
    const none = runScenario(parseScenario(calm, 'f.toml'), 1, { trace: false });
    expect(none.expectations.find((e) => e.name === 'failover')).toMatchObject({ ok: false, actual: 'none measured' });
  });
});

describe('[expect] backup_standby', () => {
  const text = (expect: string, nbd = ''): string => `[scenario]
name = "standby"
[[volume]]
name = "v0"
size = "4MiB"
[[server]]
name = "p0"
[[server.export]]
name = "vol"
volume = "v0"
[[server]]
name = "p1"
[[server.export]]
name = "vol"
volume = "v0"
[[server]]
name = "b"
[[server.export]]
name = "vol"
volume = "v0"
[nbd]
servers = [{ name = "p0", export = "vol" }, { name = "p1", export = "vol" }${nbd}]
[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
ios = 10
[[at]]
time = "10ms"
action = "crash"
target = "p0"
[[at]]
time = "40ms"
action = "restart"
target = "p0"
[[at]]
time = "20ms"
action = "partition"
target = "client<->p1"
duration = "30ms"
[[at]]
time = "60ms"
action = "hang"
target = "p1"
duration = "10ms"
[[at]]
time = "65ms"
action = "link-down"
target = "client<->p0"
[[at]]
time = "100ms"
action = "link-up"
target = "client<->p0"
[expect]
${expect}
`;

  it('backups may carry I/O only while every primary is down, until the settle time after', () => {
    const s = parseScenario(text('backup_standby = "5ms"', ', { name = "b", export = "vol", role = "backup" }'), 's.toml');
    const { primaries, backups } = serversByRole(s);
    expect([primaries, backups]).toEqual([['p0', 'p1'], ['b']]);
    // p0 down 10–40 and 65–100; p1 down 20–50 and 60–70: both down 20–40 and 65–70, each + 5 ms.
    expect(standbyWindows(s, primaries, 5_000_000)).toEqual([[20_000_000, 45_000_000], [65_000_000, 75_000_000]]);
    // A primary that never returns leaves the window open to the end.
    expect(standbyWindows(s, ['p0'], 0)).toEqual([[10_000_000, 40_000_000], [65_000_000, 100_000_000]]);
  });

  it('is refused without a backup server', () => {
    expect(() => parseScenario(text('backup_standby = "5ms"'), 's.toml')).toThrow(/expect\.backup_standby: no \[nbd\] server has role = "backup"/);
  });
});
