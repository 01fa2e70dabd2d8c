// dead_conn_timeout runs from the moment the device has no usable connection (issue 13.4), not
// from each request's queue time: an outage shorter than it completes every request, without
// error, however long the requests had already waited.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/load.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { resultOf, runWorld } from '../../../scenarios/runner/run.ts';

function scenario(at: string): string {
  return `
[scenario]
name = "dead-conn"
seeds = [1]

[[server]]
name = "a"
disk = "nvme"

[[server.export]]
name = "disk0"
size = "16MiB"

[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "20us"

[nbd]
connection_pool_size = 2
connection_timeout = "100ms"
dead_conn_timeout = "1s"

[[job]]
name = "randrw"
rw = "randrw"
bs = "4KiB"
iodepth = 16
size = "4MiB"
ios = 3000
rwmixread = 50
fsync = 32
verify = true

${at}
`;
}

function run(at: string, seed: number) {
  const w = buildWorld(parseScenario(scenario(at), 'dead-conn.toml'), seed);
  runWorld(w);
  return { w, r: resultOf(w) };
}

describe('dead_conn_timeout counts from the loss of the last usable connection', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: a 30 ms server crash: every request completes, none with an error`, () => {
      const { w, r } = run('[[at]]\ntime = "5ms"\naction = "crash"\ntarget = "a"\n\n[[at]]\ntime = "35ms"\naction = "restart"\ntarget = "a"', seed);
      expect(r.jobs[0]!.ios).toBeGreaterThanOrEqual(3000);
      expect(r.jobs[0]!.errors).toBe(0);
      expect(r.safetyViolations).toEqual([]);
      // The outage did happen: the connections were lost and their requests sent again.
      expect(w.nbd!.device.errors.requeued).toBeGreaterThan(0);
    });

    it(`seed ${seed}: a 300 ms server hang: every request completes, none with an error`, () => {
      const { w, r } = run('[[at]]\ntime = "5ms"\naction = "hang"\ntarget = "a"\nduration = "300ms"', seed);
      expect(r.jobs[0]!.ios).toBeGreaterThanOrEqual(3000);
      expect(r.jobs[0]!.errors).toBe(0);
      expect(r.safetyViolations).toEqual([]);
      // Replies swallowed by the hang: the silent connections were declared dead and requeued.
      expect(w.nbd!.device.errors.counts['dead-conn']).toBeGreaterThan(0);
    });
  }
});
