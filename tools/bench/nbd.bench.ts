// Full stack, 4 KiB randread QD32 (issue 6): workload → blk-mq → NBD driver → kernel TCP → NIC →
// switch → server host → NBD server → virtual disk, and back. Requests per wall second.
import { buildNbdStack, runRandread } from './nbd-stack.ts';
import { measureCounts, printTable, versusGoal } from './table.ts';

const IOS = 20_000;
const QD = 32;
// Issue 12, deliverable 4: requests per wall second, trace off and on.
const GOAL_OFF = 150_000;
const GOAL_ON = 100_000;
/** Warm-up: every row's configuration in turn, at least this long, so no row pays for the JIT. */
const WARM_MS = 3000;
// Cache off first: every READ crosses the wire (the full stack); cache on as the bench ran
// before (comparable with older trees through --against), ~42 % of reads served locally.
const CONFIGS = [false, true].flatMap((cache) =>
  [4, 1].flatMap((connections) => [false, true].map((trace) => ({ trace, connections, cache }))));

export function benchNbd(): void {
  // Discarded warm-up passes over every configuration until the JIT has settled (on a busy
  // 2-core machine that takes ~100k requests; one pass left the first row at half its speed).
  const warm0 = process.hrtime.bigint();
  for (let i = 0; i < CONFIGS.length || Number(process.hrtime.bigint() - warm0) < WARM_MS * 1e6; i++) {
    runRandread(buildNbdStack(CONFIGS[i % CONFIGS.length]!), IOS, QD);
  }
  const rows: (string | number)[][] = [];
  for (const { trace, connections, cache } of CONFIGS) {
    let simNs = 0;
    const m = measureCounts(() => {
      // The build and the connect are not timed: each run gets a fresh, connected stack.
      const s = buildNbdStack({ trace, connections, cache });
      const e0 = s.engine.eventsRun;
      const rx = s.machine.host('client').nic.stats.rx;
      const rx0 = rx.bytes;
      const k = s.nbd.device.cache.blocks.counters;
      const hits0 = k.hits;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const r = runRandread(s, IOS, QD);
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu = process.cpuUsage(cpu0);
      simNs = r.endNs - r.startNs;
      return [r.jobs[0]!.read.ios, s.engine.eventsRun - e0, ns, (cpu.user + cpu.system) * 1000, rx.bytes - rx0, k.hits - hits0];
    }, 1500);
    const [reqs = 0, events = 0, wallNs = 1, cpuNs = 1, rxBytes = 0, hits = 0] = m.totals;
    const wall = reqs / (wallNs / 1e9);
    const goal = trace ? GOAL_ON : GOAL_OFF;
    rows.push([
      `cache ${cache ? 'on ' : 'off'}, ${connections} conn, trace ${trace ? 'on ' : 'off'}`, `${Math.round((100 * hits) / reqs)} %`, rxBytes / reqs, goal, wall, versusGoal(wall, goal),
      events / (wallNs / 1e9), (IOS * 1e9) / simNs, reqs / (cpuNs / 1e9), `${Math.round((100 * cpuNs) / wallNs)} %`,
    ]);
  }
  printTable(
    `NBD full stack (the scenario runner's buildWorld: machine, NBD driver, nbd-server program): 4 KiB randread QD${QD}, ${IOS / 1000}k requests per run`,
    ['run', 'cache hits', 'client rx B/req', 'goal req/s', 'req per wall s', 'vs goal', 'events per wall s', 'sim IOPS (virtual)', 'req per CPU s', 'CPU share'],
    rows,
  );
}
