// Full stack, 4 KiB randread QD32 (issue 6): workload → blk-mq → NBD driver → kernel TCP → NIC →
// switch → server host → NBD server → virtual disk, and back. Requests per wall second.
// Each row runs in a child process of its own (nbd-row.ts), warmed up on its own configuration.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NbdStackOptions } from './nbd-stack.ts';
import { PROBES, PROBE_SLACK, runsAtHostSpeed } from './host-probe.ts';
import { IOS, QD, type RowRun } from './nbd-row.ts';
import { printTable, versusGoal } from './table.ts';

// Issue 12, deliverable 4: requests per wall second, trace off and on.
const GOAL_OFF = 150_000;
const GOAL_ON = 100_000;
// Cache off first: every READ crosses the wire (the full stack); cache on as the bench ran
// before (comparable with older trees through --against), ~42 % of reads served locally.
const CONFIGS: NbdStackOptions[] = [false, true].flatMap((cache) =>
  [4, 1].flatMap((connections) => [false, true].map((trace) => ({ trace, connections, cache }))));

function label(o: NbdStackOptions): string {
  return `cache ${o.cache ? 'on ' : 'off'}, ${o.connections} conn, trace ${o.trace ? 'on ' : 'off'}`;
}

/** Runs one row's child; its profile (with `--profile`) is kept to print after the table. */
function runRow(o: NbdStackOptions, profile: boolean): { runs: RowRun[]; profileText: string } {
  const args = [...process.execArgv, join(import.meta.dirname, 'nbd-row.ts'), JSON.stringify(o)];
  if (profile) args.push('--profile');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`row '${label(o)}' exited with ${r.status ?? r.signal}`);
  const [first = '', ...rest] = r.stdout.split('\n');
  return { runs: JSON.parse(first) as RowRun[], profileText: rest.join('\n') };
}

/**
 * Processes per row (BENCH_NBD_PROCESSES, default 3): one process's figure moves on this VM from
 * run to run (one commit's cache off, 4 conn, trace off processes: 122.1k–198.0k within one
 * morning, the slow ones in minutes when the host was busy, as the host probes show), so a row
 * pools the timed runs of several processes. The rows' processes are interleaved (each round
 * runs every row once), so a slow minute of the machine touches every row alike.
 */
function processesPerRow(): number {
  const v = process.env.BENCH_NBD_PROCESSES ?? '3';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 99) {
    console.error(`bench nbd: BENCH_NBD_PROCESSES must be a whole number from 1 to 99, not '${v}'`);
    process.exit(2);
  }
  return n;
}

/** The runs' sums: requests per wall second and the other columns come from them. */
function sum(runs: readonly RowRun[]): RowRun {
  const t: RowRun = { reqs: 0, events: 0, wallNs: 0, cpuNs: 0, rxBytes: 0, hits: 0, simNs: 0, probeNs: [] };
  for (const r of runs) {
    t.reqs += r.reqs;
    t.events += r.events;
    t.wallNs += r.wallNs;
    t.cpuNs += r.cpuNs;
    t.rxBytes += r.rxBytes;
    t.hits += r.hits;
    t.simNs += r.simNs;
  }
  return t;
}

const reqPerWallS = (t: RowRun): number => t.reqs / (t.wallNs / 1e9);
const kilo = (n: number): string => `${(n / 1000).toFixed(1)}k`;

/** Fewer runs at host speed than this (of a row's ~30) and the row is not judged: the host was slow. */
const MIN_KEPT = 6;

export function benchNbd(profile = false): void {
  const procs = processesPerRow();
  // Per row, per process: its timed runs.
  const runs: RowRun[][][] = CONFIGS.map(() => []);
  const profiles: string[] = [];
  for (let p = 0; p < procs; p++) {
    CONFIGS.forEach((o, i) => {
      // Profiled in the first round only: a profile of one process per row is enough to read.
      const r = runRow(o, profile && p === 0);
      if (profile && p === 0) profiles.push(r.profileText);
      runs[i]!.push(r.runs);
    });
  }
  const every = runs.flat(2);
  const best = runsAtHostSpeed([], every).bestProbeNs;
  const rows = CONFIGS.map((o, i) => {
    const all = runs[i]!.flat();
    const { kept } = runsAtHostSpeed(all, every);
    const goal = o.trace ? GOAL_ON : GOAL_OFF;
    const judged = kept.length >= MIN_KEPT;
    const t = sum(judged ? kept : all);
    const wall = reqPerWallS(t);
    const spread = runs[i]!.map((p) => reqPerWallS(sum(p))).sort((a, b) => a - b).map(kilo).join(' ');
    return [
      label(o), `${Math.round((100 * t.hits) / t.reqs)} %`, t.rxBytes / t.reqs, goal,
      judged ? wall : '-', judged ? versusGoal(wall, goal) : '✗ host slow', `${kept.length} of ${all.length}`,
      reqPerWallS(sum(all)), spread,
      t.events / (t.wallNs / 1e9), (t.reqs * 1e9) / t.simNs, t.reqs / (t.cpuNs / 1e9), `${Math.round((100 * t.cpuNs) / t.wallNs)} %`,
    ];
  });
  printTable(
    `NBD full stack (the scenario runner's buildWorld: machine, NBD driver, nbd-server program): 4 KiB randread QD${QD}, ${IOS / 1000}k requests per run, each row in ${procs} process${procs > 1 ? 'es' : ''} of its own. ` +
      `Beside each run the host probes (host-probe.ts) were timed; runs in which a probe took more than ${PROBE_SLACK}× its fastest (${PROBES.map((p, i) => `${p} ${(best[i]! / 1e6).toFixed(2)} ms`).join(', ')}) ran on a slowed host and are left out of 'at host speed' ` +
      `(the row is not judged with fewer than ${MIN_KEPT} left); 'all runs' and 'processes' (each process's figure, lowest first) count them`,
    ['run', 'cache hits', 'client rx B/req', 'goal req/s', 'req per wall s at host speed', 'vs goal', 'runs at host speed', 'req per wall s, all runs', 'processes', 'events per wall s', 'sim IOPS (virtual)', 'req per CPU s', 'CPU share'],
    rows,
  );
  for (const p of profiles) console.log(p);
}
