// `[machine] io_scheduler` and `plug` reach the client's block layer: the NBD device runs the
// named scheduler, and with plugging the sequential 4 KiB bios a job issues together merge into
// fewer, larger requests before they reach the driver.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { resultOf, runWorld } from '../../../scenarios/runner/run.ts';

const scenario = (machine: string) => parseScenario(`[scenario]
name = "knobs"
[machine]
${machine}
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "16MiB"
[nbd]
local_cache_size = 0
read_ahead_size = 0
[[job]]
name = "w"
rw = "write"
bs = "4KiB"
iodepth = 32
size = "1MiB"
verify = true
`, 'knobs.toml');

function run(machine: string): { scheduler: unknown; merges: number; passed: boolean } {
  const w = buildWorld(scenario(machine), 1, { trace: false });
  runWorld(w);
  const r = resultOf(w);
  const st = w.client.kernel.stats;
  return {
    scheduler: st.read('block/nbd0/scheduler'),
    merges: Number(st.read('block/nbd0/merges/back') ?? 0) + Number(st.read('block/nbd0/merges/front') ?? 0),
    passed: r.passed,
  };
}

describe('block layer knobs from the scenario file', () => {
  it('io_scheduler selects mq-deadline; plug merges the bios of one submission burst', () => {
    const plain = run('');
    expect(plain).toMatchObject({ scheduler: 'none', merges: 0, passed: true });
    const deadline = run('io_scheduler = "mq-deadline"');
    expect(deadline).toMatchObject({ scheduler: 'mq-deadline', passed: true });
    const plugged = run('plug = true');
    expect(plugged.passed).toBe(true);
    // The first burst alone is 32 adjacent 4 KiB writes: they merge in the plug.
    expect(plugged.merges).toBeGreaterThanOrEqual(31);
  });

  it('a scheduler the block layer does not have is refused with its key', () => {
    expect(() => scenario('io_scheduler = "bfq"')).toThrow(/io_scheduler/);
    expect(() => scenario('cpu_cost_scale = -1')).toThrow(/cpu_cost_scale/);
  });
});
