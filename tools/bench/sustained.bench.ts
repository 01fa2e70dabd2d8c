// Sustained runs (issue 12): the full stack writing at the 1.0 GB/s TCP target on 10 GbE with
// the safety checker on, beside the TCP-only stream of the same link. Rows: CPU and wall seconds
// per virtual second for the first virtual second (the 1 GiB region is being filled: every disk
// page is allocated) and the next one (steady state), and the peak RSS. Goal: ≤ 1 wall s per
// virtual s.
import { join } from 'node:path';
import { loadScenario } from '../../scenarios/schema/load.ts';
import { buildWorld } from '../../scenarios/runner/world.ts';
import { runWorld } from '../../scenarios/runner/run.ts';
import { formatBytes, printTable } from './table.ts';
import { transfer } from './tcp.bench.ts';

const FILE = join(import.meta.dirname, '../../scenarios/sustained/perf-seq-write-10g.toml');
const SECONDS = 2;

export function benchSustained(): void {
  const rows: (string | number)[][] = [];
  // TCP only: one 64 MiB stream on the same 10 GbE link, trace off.
  {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const [bytes = 0, , virtualNs = 1] = transfer({ rateBps: 10e9, propagationNs: 20_000, loss: 0 }, false);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(cpu0);
    const v = virtualNs / 1e9;
    rows.push(['TCP only, 64 MiB stream', `${formatBytes(bytes / v)}/s`, ((c.user + c.system) / 1e6 / v).toFixed(2), (wall / v).toFixed(2), '-']);
  }
  const s = loadScenario(FILE);
  const w = buildWorld(s, s.seeds[0] ?? 1, { trace: false });
  let peak = process.memoryUsage.rss();
  let bytes0 = 0;
  for (let sec = 1; sec <= SECONDS; sec++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let t = (sec - 1) * 1e9 + 1e8; t <= sec * 1e9; t += 1e8) {
      runWorld(w, t);
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(cpu0);
    const bytes = w.client.nic.stats.tx.bytes;
    rows.push([
      `NBD write + safety, virtual second ${sec}${sec === 1 ? ' (1 GiB region filling)' : ' (steady)'}`,
      `${formatBytes(bytes - bytes0)}/s`, ((c.user + c.system) / 1e6).toFixed(2), wall.toFixed(2), `${(peak / 2 ** 20).toFixed(0)} MiB`,
    ]);
    bytes0 = bytes;
  }
  printTable(
    'Sustained 10 GbE: scenarios/sustained/perf-seq-write-10g.toml (128 KiB seq write QD32, 4 conns, verify + online safety), trace off',
    ['run', 'client wire tx (virtual)', 'CPU s per virtual s', 'wall s per virtual s', 'peak RSS'],
    rows,
  );
}
