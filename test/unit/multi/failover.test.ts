// Backup servers carry I/O only while every primary is down; failover time is measured from the
// first failed request to I/O flowing again, and [expect] failover bounds it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbdConfigFromTable } from '../../../drivers/nbd/config/load.ts';
import { ServerRoles } from '../../../drivers/nbd/health/failover.ts';
import { ConnectionSlot } from '../../../drivers/nbd/managers/connection-slot.ts';
import { buildWorld, runScenario } from '../../../scenarios/runner/index.ts';
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
  it('a backup is allowed only while no primary connection is usable, and never without failover', () => {
    const roles = new ServerRoles(true);
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
    const off = new ServerRoles(false);
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
  it('the backup carries nothing before the crash, everything while the primary is down; the failover is measured', () => {
    const s = loadScenario(FILE);
    const w = buildWorld(s, 1, { trace: false });
    w.engine.runUntil(9_000_000);
    const dev = w.nbd!.device;
    const done = (i: number) => dev.perf.byServer[i]?.count ?? 0;
    expect(done(0)).toBeGreaterThan(0);
    expect(done(1)).toBe(0);
    w.engine.runUntil(60_000_000);
    const primaryAt60 = done(0);
    expect(done(1)).toBeGreaterThan(0);
    w.engine.runUntil(90_000_000);
    // While the primary is down it completes nothing more.
    expect(done(0)).toBe(primaryAt60);
    runWorld(w);
    // One outage: from the primary's last reply (just before its crash at 10 ms) to the backup's
    // first completion, which needs dead_conn_timeout (20 ms) to notice the silence first.
    expect(dev.failover.times).toHaveLength(1);
    expect(dev.failover.times[0]!).toBeGreaterThanOrEqual(20_000_000);
    expect(dev.failover.times[0]!).toBeLessThan(30_000_000);
  });

  it('[expect] failover fails a run whose failover is slower than its limit, or that measured none', () => {
    const text = readFileSync(FILE, 'utf8');
    const slow = runScenario(parseScenario(text.replace('failover = "200ms"', 'failover = "5ms"'), 'f.toml'), 1, { trace: false });
    const row = slow.expectations.find((e) => e.name === 'failover')!;
    expect(row.ok).toBe(false);
    expect(slow.failovers?.[0]?.device).toBe('nbd0');
    const calm = text.replace(/\[\[at\]\]\ntime = "10ms"\naction = "crash"\ntarget = "primary"\n/, '').replace(/\[\[at\]\]\ntime = "100ms"\naction = "restart"\ntarget = "primary"\n/, '');
    const none = runScenario(parseScenario(calm, 'f.toml'), 1, { trace: false });
    expect(none.expectations.find((e) => e.name === 'failover')).toMatchObject({ ok: false, actual: 'none measured' });
  });
});
