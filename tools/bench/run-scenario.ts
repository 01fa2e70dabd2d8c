// `npx tsx tools/bench/run-scenario.ts FILE [--until 1s] [--trace]`: one scenario run by the
// runner, trace off by default, printing wall time, virtual time, wall/virtual, peak RSS and
// the bytes on the client's wire. For sustained runs under /usr/bin/time -v or node --cpu-prof.
import { loadScenario } from '../../scenarios/schema/load.ts';
import { buildWorld } from '../../scenarios/runner/world.ts';
import { resultOf, runWorld } from '../../scenarios/runner/run.ts';
import { parseDuration } from '../../drivers/nbd/config/units.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: run-scenario.ts FILE [--until DURATION] [--trace]');
  process.exit(2);
}
const untilArg = args[args.indexOf('--until') + 1];
const parsed = args.includes('--until') && untilArg ? parseDuration(untilArg) : undefined;
if (parsed && !parsed.ok) {
  console.error(`--until: ${parsed.reason}`);
  process.exit(2);
}
const untilNs = parsed?.value;
const s = loadScenario(file);
const t0 = process.hrtime.bigint();
const w = buildWorld(s, s.seeds[0] ?? 1, { trace: args.includes('--trace') });
let peak = 0;
// RSS sampled every virtual 100 ms (a timer outside the simulation would not see the run's peaks).
const sample = (): void => { peak = Math.max(peak, process.memoryUsage.rss()); };
const runTo = untilNs ?? Number.MAX_SAFE_INTEGER;
for (let t = 100_000_000; !w.finished() && t < runTo; t += 100_000_000) {
  runWorld(w, t);
  sample();
}
runWorld(w, untilNs);
sample();
const r = resultOf(w);
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const nic = w.client.nic.stats;
console.log(JSON.stringify({
  scenario: r.scenario, passed: r.passed, virtualS: r.virtualTimeNs / 1e9, wallS, wallPerVirtual: wallS / (r.virtualTimeNs / 1e9),
  peakRssMiB: Math.round(peak / 2 ** 20), wireRxBytes: nic.rx.bytes, wireTxBytes: nic.tx.bytes,
  jobs: r.jobs.map((j) => ({ name: j.name, ios: j.ios, GBps: j.bandwidthBps / 8e9, iops: Math.round(j.iops) })),
  failed: r.expectations.filter((x) => !x.ok),
}, null, 1));
