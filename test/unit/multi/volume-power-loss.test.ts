// The timeline's volume-power-loss: the shared volume loses its cache (not a server host), the
// devices over it are told their unflushed writes may be gone; an unknown volume is refused at load.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';

const TEXT = (target: string) => `[scenario]
name = "vpl"
[[volume]]
name = "v0"
size = "4MiB"
write_cache = true
[[server]]
name = "a"
[[server.export]]
name = "vol"
volume = "v0"
[[server]]
name = "b"
[[server.export]]
name = "vol"
volume = "v0"
[nbd]
connection_pool_size = 1
dead_conn_timeout = "5ms"
local_cache_size = 0
read_ahead_size = 0
[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
size = "1MiB"
ios = 400
verify = true
[[at]]
time = "1ms"
action = "volume-power-loss"
target = "${target}"
`;

describe('volume-power-loss', () => {
  it('an unknown volume is refused, naming the key and the volumes exported', () => {
    let err: unknown;
    try { parseScenario(TEXT('v9'), 'v.toml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).keyPath).toBe('at[0].target');
    expect((err as ScenarioError).reason).toBe('no server exports a volume "v9" (exported volumes: "v0")');
  });

  it('the volume loses power once and the device\'s history hears of it', () => {
    const w = buildWorld(parseScenario(TEXT('v0'), 'v.toml'), 1, { trace: false });
    runWorld(w);
    expect(w.volumes.get('v0')!.powerLosses).toBe(1);
    expect(w.timeline.faults.map((f) => [f.atNs, f.description])).toEqual([[1_000_000, 'power loss of volume v0 (its unflushed writes lost)']]);
    expect(w.disks.get('nbd0')!.history().crashes.map((c) => c.atNs)).toEqual([1_000_000]);
  });
});
