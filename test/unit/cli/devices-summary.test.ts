// The run summary and `run --json` show every NBD device, not only the first: its state, its
// servers, the jobs on it and its cache.
import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { renderSummary, runJson } from '../../../tools/cli/format/summary.ts';

// Export d0 on server a is nbd0, d1 on b is nbd1; 200 I/Os on nbd0, 100 on nbd1; both cached.
const TWO = `[scenario]
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
[nbd]
connection_pool_size = 1
local_cache_size = "1MiB"
servers = [{ name = "a", export = "d0" }, { name = "b", export = "d1" }]
[[job]]
name = "j0"
device = "nbd0"
rw = "randwrite"
bs = "4KiB"
ios = 200
[[job]]
name = "j1"
device = "nbd1"
rw = "randread"
bs = "4KiB"
ios = 100
`;

describe('a run with two NBD devices', () => {
  const r = runner.runScenario(parseScenario(TWO, 'two.toml'), 1);

  it('--json lists both devices with their servers and caches, and each job names its device', () => {
    expect(r.passed).toBe(true);
    const j = runJson(r, 'replay') as { devices: { name: string; state: string; servers: string[]; cache?: { mode: string } }[]; jobs: { name: string; device: string; ios: number }[] };
    expect(j.devices.map((d) => [d.name, d.state, d.servers, d.cache?.mode])).toEqual([
      ['nbd0', 'ready', ['a'], 'write-through'],
      ['nbd1', 'ready', ['b'], 'write-through'],
    ]);
    expect(j.jobs.map((x) => [x.name, x.device, x.ios])).toEqual([['j0', 'nbd0', 200], ['j1', 'nbd1', 100]]);
  });

  it('the table has a row per device (state, servers, jobs, I/Os, errors) and a cache row per device', () => {
    const text = renderSummary(r, 'replay');
    const section = (name: string) => text.slice(text.indexOf(`\n${name}\n`) + name.length + 2).split('\n\n')[0]!.split('\n').slice(1).map((l) => l.trim().split(/ {2,}/));
    expect(section('devices')).toEqual([
      ['nbd0', 'ready', 'a', '1', '200', '0', '-'],
      ['nbd1', 'ready', 'b', '1', '100', '0', '-'],
    ]);
    expect(section('cache').map((row) => row.slice(0, 2))).toEqual([['nbd0', 'write-through'], ['nbd1', 'write-through']]);
    expect(section('jobs').map((row) => row.slice(0, 3))).toEqual([['j0', 'nbd0', '200'], ['j1', 'nbd1', '100']]);
  });
});

describe('a run whose second device never comes up (its only server crashed at 0)', () => {
  const lost = `${TWO.replace('local_cache_size = "1MiB"\n', '')}continue_on_error = true
[[at]]
time = "0s"
action = "crash"
target = "b"
[expect]
jobs_complete = false
`;
  const r = runner.runScenario(parseScenario(lost, 'lost.toml'), 1);

  it('still lists both devices, the second one not ready and with no I/O', () => {
    const rows = (runJson(r, 'replay') as { devices: { name: string; state: string }[] }).devices.map((d) => [d.name, d.state === 'ready']);
    expect(rows).toEqual([['nbd0', true], ['nbd1', false]]);
    const text = renderSummary(r, 'replay');
    expect(text).toMatch(/^ {2}nbd1 +(connecting|negotiating|failed|disconnected) +b +0 +0 +0 /m);
  });

  it('the stalled verdict gives the deadline with a unit people read (s or ms), not raw nanoseconds', () => {
    const stalled = r.expectations.find((e) => e.name === 'stalled')!;
    expect(stalled.ok).toBe(false);
    expect(String(stalled.actual)).toMatch(/in flight at the deadline [0-9]+\.[0-9]{3}(s|ms)$/);
  });
});
