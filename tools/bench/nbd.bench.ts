// Full stack, 4 KiB randread QD32 (issue 6): workload → blk-mq → NBD driver → kernel TCP → NIC →
// switch → server host → NBD server → virtual disk, and back. Requests per wall second.
// Each row runs in a child process of its own (nbd-row.ts), warmed up on its own configuration.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NbdStackOptions } from './nbd-stack.ts';
import { IOS, QD, type RowTotals } from './nbd-row.ts';
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
function runRow(o: NbdStackOptions, profile: boolean): { totals: RowTotals; profileText: string } {
  const args = [...process.execArgv, '--expose-gc', join(import.meta.dirname, 'nbd-row.ts'), JSON.stringify(o)];
  if (profile) args.push('--profile');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`row '${label(o)}' exited with ${r.status ?? r.signal}`);
  const [first = '', ...rest] = r.stdout.split('\n');
  return { totals: JSON.parse(first) as RowTotals, profileText: rest.join('\n') };
}

export function benchNbd(profile = false): void {
  const rows: (string | number)[][] = [];
  const profiles: string[] = [];
  for (const o of CONFIGS) {
    const { totals: t, profileText } = runRow(o, profile);
    if (profile) profiles.push(profileText);
    const wall = t.reqs / (t.wallNs / 1e9);
    const goal = o.trace ? GOAL_ON : GOAL_OFF;
    rows.push([
      label(o), `${Math.round((100 * t.hits) / t.reqs)} %`, t.rxBytes / t.reqs, goal, wall, versusGoal(wall, goal),
      t.events / (t.wallNs / 1e9), (IOS * 1e9) / t.simNs, t.reqs / (t.cpuNs / 1e9), `${Math.round((100 * t.cpuNs) / t.wallNs)} %`,
    ]);
  }
  printTable(
    `NBD full stack (the scenario runner's buildWorld: machine, NBD driver, nbd-server program): 4 KiB randread QD${QD}, ${IOS / 1000}k requests per run, each row in its own process`,
    ['run', 'cache hits', 'client rx B/req', 'goal req/s', 'req per wall s', 'vs goal', 'events per wall s', 'sim IOPS (virtual)', 'req per CPU s', 'CPU share'],
    rows,
  );
  for (const p of profiles) console.log(p);
}
