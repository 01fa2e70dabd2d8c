// Several NBD devices per scenario: one per export the servers attach, each with its own servers;
// jobs, management commands and server crashes name (or reach) their own device only.
import { describe, expect, it } from 'vitest';
import { buildWorld, runScenario } from '../../../scenarios/runner/index.ts';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';

const TEXT = `[scenario]
name = "two-devices"
[[server]]
name = "a"
[[server.export]]
name = "d0"
size = "4MiB"
[[server]]
name = "b"
[[server.export]]
name = "d1"
size = "8MiB"
[[server]]
name = "c"
[[server.export]]
name = "d1"
size = "8MiB"
[nbd]
connection_pool_size = 1
connection_timeout = "200ms"
servers = [{ name = "a", export = "d0" }, { name = "b", export = "d1" }]
[[job]]
name = "j0"
device = "nbd0"
rw = "randrw"
bs = "4KiB"
ios = 300
fsync = 8
verify = true
[[job]]
name = "j1"
device = "nbd1"
rw = "randrw"
bs = "4KiB"
ios = 300
fsync = 8
verify = true
continue_on_error = true
[[at]]
time = "2ms"
action = "mgmt"
command = "nbd1 nbd-server-info"
[[at]]
time = "3ms"
action = "crash"
target = "b"
[[at]]
time = "20ms"
action = "restart"
target = "b"
`;

describe('several NBD devices in one scenario', () => {
  it('each export becomes its own device with its own servers and capacity', () => {
    const w = buildWorld(parseScenario(TEXT, 'd.toml'), 1, { trace: false });
    expect([...w.nbds.keys()]).toEqual(['nbd0', 'nbd1']);
    expect(w.nbd).toBe(w.nbds.get('nbd0'));
    expect(w.nbds.get('nbd0')!.device.opts.config.servers.map((s) => s.name)).toEqual(['a']);
    expect(w.nbds.get('nbd1')!.device.opts.config.servers.map((s) => s.name)).toEqual(['b']);
    w.engine.runUntil(2_500_000);
    // 4 MiB and 8 MiB: each device negotiated its own export.
    expect(w.nbds.get('nbd0')!.disk.capacityBytes).toBe(4 * 2 ** 20);
    expect(w.nbds.get('nbd1')!.disk.capacityBytes).toBe(8 * 2 ** 20);
    // The [[at]] command named nbd1: its table lists nbd1's server b, not a.
    const out = w.timeline.mgmt[0]!;
    expect(out.table!.rows.map((r) => r[1])).toEqual(['b']);
  });

  it('jobs run on their own device; a crash of b reaches nbd1\'s history only; the run passes', () => {
    const s = parseScenario(TEXT, 'd.toml');
    const w = buildWorld(s, 1, { trace: false });
    w.engine.runUntil(30_000_000);
    expect(w.disks.get('nbd0')!.history().crashes).toEqual([]);
    expect(w.disks.get('nbd1')!.history().crashes.map((c) => c.server)).toEqual(['b']);
    const r = runScenario(s, 1, { trace: false });
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(r.passed).toBe(true);
  });

  it('a management command for a device that does not exist is refused at load', () => {
    let err: unknown;
    try {
      parseScenario(TEXT.replace('command = "nbd1 nbd-server-info"', 'command = "nbd7 nbd-server-info"'), 'd.toml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).keyPath).toBe('at[0].command');
    expect((err as ScenarioError).reason).toBe('no NBD device "nbd7" (devices: "nbd0", "nbd1")');
  });

  it('the stepper session names the device too', async () => {
    const { openSession } = await import('../../../scenarios/runner/session.ts');
    const session = openSession(parseScenario(TEXT, 'd.toml'), 1);
    while (session.now < 2_000_000 && session.step() !== undefined);
    expect(session.mgmt(['nbd1', 'nbd-server-info']).table!.rows.map((r) => r[1])).toEqual(['b']);
    expect(session.mgmt(['nbd-server-info']).table!.rows.map((r) => r[1])).toEqual(['a']);
    expect(() => session.mgmt(['nbd5', 'nbd-server-info'])).toThrow(/no NBD device 'nbd5' \(devices: nbd0, nbd1\)/);
  });
});
