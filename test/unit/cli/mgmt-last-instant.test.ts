import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { renderSummary } from '../../../tools/cli/format/summary.ts';

// The run ends when the jobs and the timeline are done: every event at the last instant applies,
// not only the first one the engine pops.
const text = `[scenario]
name = "last-instant"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "16MiB"
[nbd]
connection_pool_size = 2
[[job]]
name = "r"
rw = "randread"
iodepth = 4
ios = 40
[[at]]
time = "50ms"
action = "mgmt"
command = "nbd-connection-info"
[[at]]
time = "50ms"
action = "mgmt"
command = "nbd-network-stats"
`;

describe('two management commands at the run\'s last instant', () => {
  it('both run, in file order, and the summary prints both', () => {
    const r = runner.runScenario(parseScenario(text, 'last.toml'), 1, {});
    expect(r.passed).toBe(true);
    expect(r.mgmt.map((m) => [m.command[0], m.atNs])).toEqual([['nbd-connection-info', 50e6], ['nbd-network-stats', 50e6]]);
    const out = renderSummary(r, 'replay');
    expect(out).toContain('\nnbd-connection-info at 50.000ms\n');
    expect(out).toContain('\nnbd-network-stats at 50.000ms\n');
  });
});
