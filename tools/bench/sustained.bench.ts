// Sustained runs (issue 12): the full stack writing at the 1.0 GB/s TCP target on 10 GbE with
// the safety checker on, beside the TCP-only stream of the same link and a bare touch of fresh
// memory, measured in the same process. Rows: CPU and wall seconds per virtual second for the
// first virtual second (the 1 GiB region is being filled: every disk page is touched for the
// first time), the next one, and the mean of the rest; peak RSS; then the scenario's own
// verdict at its end (10 virtual seconds): bandwidth and bytes on the client's wire against its
// [expect]. Goal: ≤ 1 wall s per virtual s. BENCH_SUSTAINED_SECONDS (default: the whole run)
// stops earlier (no verdict then).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadScenario } from '../../scenarios/schema/load.ts';
import { buildWorld } from '../../scenarios/runner/world.ts';
import { resultOf, runWorld } from '../../scenarios/runner/run.ts';
import { formatBytes, printTable } from './table.ts';
import { transfer } from './tcp.bench.ts';

const FILE = join(import.meta.dirname, '../../scenarios/sustained/perf-seq-write-10g.toml');
const REGION = 1 << 30;

function cpuS(c: NodeJS.CpuUsage): number {
  return (c.user + c.system) / 1e6;
}

/** CPU seconds to touch 1 GiB of fresh memory once (what filling the region costs at the least). */
function touchFreshGiB(): number {
  const c0 = process.cpuUsage();
  for (let n = 0; n < REGION; n += 64 << 20) {
    const b = new Uint8Array(64 << 20);
    for (let o = 0; o < b.length; o += 4096) b[o] = 1;
  }
  return cpuS(process.cpuUsage(c0));
}

/**
 * Runs the scenario second by second up to `limit`, pushing a row for virtual seconds 1 and 2
 * (`label` appended) and summing the rest. Also the body of the huge-pages child (sustained-thp.ts).
 */
export function nbdRows(rows: (string | number)[][], limit: number, label = ''): { w: ReturnType<typeof buildWorld>; peak: number; rest: { cpu: number; wall: number; bytes: number; seconds: number } } {
  const s = loadScenario(FILE);
  const w = buildWorld(s, s.seeds[0] ?? 1, { trace: false });
  let peak = process.memoryUsage.rss();
  let bytes0 = 0;
  const rest = { cpu: 0, wall: 0, bytes: 0, seconds: 0 };
  for (let sec = 1; sec <= limit && !w.finished(); sec++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let t = (sec - 1) * 1e9 + 1e8; t <= sec * 1e9; t += 1e8) {
      runWorld(w, t);
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuS(process.cpuUsage(cpu0));
    const bytes = w.client.nic.stats.tx.bytes;
    if (sec <= 2) {
      rows.push([
        `NBD write + safety, virtual second ${sec}${sec === 1 ? ' (1 GiB region filling)' : ' (steady)'}${label}`,
        `${formatBytes(bytes - bytes0)}/s`, cpu.toFixed(2), wall.toFixed(2), `${(peak / 2 ** 20).toFixed(0)} MiB`,
      ]);
    } else {
      rest.cpu += cpu;
      rest.wall += wall;
      rest.bytes += bytes - bytes0;
      rest.seconds++;
    }
    bytes0 = bytes;
  }
  return { w, peak, rest };
}

/**
 * Virtual seconds 1 and 2 again in a child process whose glibc asks for transparent huge pages
 * for its large allocations (the disk's slabs): on this VM a page fault costs ~10 µs, and filling
 * 1 GiB in 4 KiB pages is most of the first second. Informational: the rows above are the
 * default environment. BENCH_SUSTAINED_THP=0 skips it; a failed child is one row saying so.
 */
function hugePageRows(): (string | number)[][] {
  if (process.platform !== 'linux' || process.env.BENCH_SUSTAINED_THP === '0') return [];
  const r = spawnSync(process.execPath, [...process.execArgv, join(import.meta.dirname, 'sustained-thp.ts')], {
    encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, maxBuffer: 1 << 20,
  });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as (string | number)[][];
  } catch {
    return [[`huge-pages child failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n')[0] ?? ''}`, '-', '-', '-', '-']];
  }
}

export function benchSustained(): void {
  const rows: (string | number)[][] = [];
  // TCP only: one 1 GiB stream (~0.9 virtual s) on the same 10 GbE link, trace off, after a
  // warm-up stream (a 64 MiB one is too short: building the machine dominates it).
  {
    transfer({ rateBps: 10e9, propagationNs: 20_000, loss: 0 }, false);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const [bytes = 0, , virtualNs = 1] = transfer({ rateBps: 10e9, propagationNs: 20_000, loss: 0 }, false, REGION);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const v = virtualNs / 1e9;
    rows.push(['TCP only, 1 GiB stream (warm)', `${formatBytes(bytes / v)}/s`, (cpuS(process.cpuUsage(cpu0)) / v).toFixed(2), (wall / v).toFixed(2), '-']);
  }
  const limit = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 0) || Number.POSITIVE_INFINITY;
  const { w, peak, rest } = nbdRows(rows, limit);
  // After the run, so that its garbage is not in the run's peak RSS.
  rows.splice(1, 0, ['bare touch of 1 GiB of fresh memory, CPU s', '-', touchFreshGiB().toFixed(2), '-', '-']);
  if (rest.seconds > 0) {
    const n = rest.seconds;
    rows.push([`NBD write + safety, virtual seconds 3-${n + 2} (mean; the last has the read-back)`, `${formatBytes(rest.bytes / n)}/s`, (rest.cpu / n).toFixed(2), (rest.wall / n).toFixed(2), `${(peak / 2 ** 20).toFixed(0)} MiB`]);
  }
  rows.push(...hugePageRows());
  printTable(
    'Sustained 10 GbE: scenarios/sustained/perf-seq-write-10g.toml (128 KiB seq write QD32, 4 conns, verify + online safety), trace off',
    ['run', 'client wire tx (virtual)', 'CPU s per virtual s', 'wall s per virtual s', 'peak RSS'],
    rows,
  );
  if (limit !== Number.POSITIVE_INFINITY) return;
  // The run's end: the job's last writes and the read-back of every block, then the verdict.
  runWorld(w);
  const r = resultOf(w);
  printTable(
    `perf-seq-write-10g verdict at ${(r.virtualTimeNs / 1e9).toFixed(2)} virtual s: ${r.passed ? 'pass' : 'FAIL'}`,
    ['expectation', 'ok', 'actual', 'limit'],
    r.expectations.map((x) => [x.name, x.ok ? 'ok' : 'FAIL', String(x.actual), String(x.limit)]),
  );
}
