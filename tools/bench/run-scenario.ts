// `npx tsx tools/bench/run-scenario.ts FILE [--until 1s] [--trace] [--profile-from 1s]`: one
// scenario run by the runner, trace off by default, printing wall and CPU time, virtual time,
// their ratios, peak RSS, CPU and RSS per virtual second, and the bytes on the client's wire.
// For sustained runs under /usr/bin/time -v; --profile-from prints the top functions of the run
// after that virtual time (the steady state, past the first pass over a region).
import { Session } from 'node:inspector/promises';
import { printProfile, type CpuProfile } from './profile.ts';
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
function durationArg(flag: string): number | undefined {
  if (!args.includes(flag)) return undefined;
  const p = parseDuration(args[args.indexOf(flag) + 1] ?? '');
  if (!p.ok) {
    console.error(`${flag}: ${p.reason}`);
    process.exit(2);
  }
  return p.value;
}
const untilNs = durationArg('--until');
const profileFromNs = durationArg('--profile-from');
let session: Session | undefined;
const s = loadScenario(file);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const w = buildWorld(s, s.seeds[0] ?? 1, { trace: args.includes('--trace') });
let peak = 0;
/** CPU seconds and RSS per virtual second, to tell the steady state from the first pass. */
const perSecond: { cpuS: number; rssMiB: number }[] = [];
let lastCpu = 0;
// RSS sampled every virtual 100 ms (a timer outside the simulation would not see the run's peaks).
const sample = (): void => { peak = Math.max(peak, process.memoryUsage.rss()); };
const runTo = untilNs ?? Number.MAX_SAFE_INTEGER;
for (let t = 100_000_000; !w.finished() && t < runTo; t += 100_000_000) {
  if (profileFromNs !== undefined && session === undefined && t > profileFromNs) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  runWorld(w, t);
  sample();
  if (t % 1_000_000_000 === 0) {
    const c = process.cpuUsage(cpu0);
    const now = (c.user + c.system) / 1e6;
    perSecond.push({ cpuS: Math.round((now - lastCpu) * 100) / 100, rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20) });
    lastCpu = now;
  }
}
runWorld(w, untilNs);
sample();
if (session) {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  printProfile(`${file} after ${(profileFromNs ?? 0) / 1e9} s`, profile as CpuProfile, 40);
}
const r = resultOf(w);
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
const nic = w.client.nic.stats;
console.log(JSON.stringify({
  scenario: r.scenario, passed: r.passed, virtualS: r.virtualTimeNs / 1e9, wallS, wallPerVirtual: wallS / (r.virtualTimeNs / 1e9), cpuS, cpuPerVirtual: cpuS / (r.virtualTimeNs / 1e9),
  peakRssMiB: Math.round(peak / 2 ** 20), wireRxBytes: nic.rx.bytes, wireTxBytes: nic.tx.bytes,
  jobs: r.jobs.map((j) => ({ name: j.name, ios: j.ios, GBps: j.bandwidthBytesPerSec / 1e9, iops: Math.round(j.iops) })),
  perSecond,
  failed: r.expectations.filter((x) => !x.ok),
}, null, 1));
