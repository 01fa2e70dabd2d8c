// Runner messages state their units: safety counts in blocks (the safety expectation's unit),
// times and sizes with a unit, never a bare number of nanoseconds or bytes.
import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';

const CLEAN = `[scenario]
name = "clean"
[[server]]
name = "a"
[[server.export]]
name = "d0"
size = "1MiB"
[nbd]
connection_pool_size = 1
[[job]]
name = "j"
rw = "randrw"
bs = "4KiB"
ios = 100
verify = true
[[at]]
time = "100us"
action = "slow"
target = "a"
delay = "1500us"
duration = "2ms"
[expect]
safety = false
corrupted_reads = true
`;

describe('messages of a clean run that expected corrupted reads', () => {
  const r = runner.runScenario(parseScenario(CLEAN, 'clean.toml'), 1);

  it('corrupted_reads counts blocks read, as safety does', () => {
    const v = r.expectations.find((e) => e.name === 'corrupted_reads')!;
    expect(v.ok).toBe(false);
    expect(String(v.actual)).toMatch(/^none of [1-9][0-9]* blocks read$/);
  });

  it('a fault description gives its times with units', () => {
    expect(r.faults.map((f) => f.description)).toEqual(['slow server a: +1.5ms per reply', 'server a back to normal speed']);
  });
});
