// Start-up of the orion-sim command (issue 18): `--help` through each way of starting it, beside
// `node -e 0` measured in the same run (the floor: node itself). CPU is the children's user +
// system time from /proc (what a busy machine cannot steal), wall the median of the runs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printTable } from './table.ts';

const ROOT = join(import.meta.dirname, '../..');
const RUNS = Number(process.env['BENCH_STARTUP_RUNS'] ?? 6);
/** npx and tsx take seconds per start: fewer runs keep the suite under a minute on a busy machine. */
const SLOW = ['npx', 'npm', '--import'];

const CASES: [string, string, string[]][] = [
  ['node -e 0 (reference)', process.execPath, ['-e', '0']],
  ['node dist/orion-sim.js --help (the bundle)', process.execPath, ['dist/orion-sim.js', '--help']],
  ['tools/bin/orion-sim.mjs --help (bin: freshness check + bundle)', process.execPath, ['tools/bin/orion-sim.mjs', '--help']],
  ['orion-sim run --seed x (a bad flag, exit 2)', process.execPath, ['tools/bin/orion-sim.mjs', 'run', 'scenarios/smoke.toml', '--seed', 'x']],
  ['orion-sim validate scenarios/smoke.toml (loads zod)', process.execPath, ['tools/bin/orion-sim.mjs', 'validate', 'scenarios/smoke.toml']],
  ['npm exec -c true (npx\'s own floor)', 'npm', ['exec', '-c', 'true']],
  ['npx orion-sim --help', 'npx', ['orion-sim', '--help']],
  ['node --import tsx tools/bin/orion-sim.ts --help (no build)', process.execPath, ['--import', 'tsx', 'tools/bin/orion-sim.ts', '--help']],
];

/** CPU seconds of this process's waited-for children (utime + stime of /proc/self/stat), or NaN. */
function childCpuSeconds(): number {
  try {
    // Fields after the command name's closing parenthesis; cutime and cstime are fields 16 and 17.
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

export function benchStartup(): void {
  // Warm-up: the bin rebuilds dist/ here if a source is newer, so no measured run pays for it.
  spawnSync(process.execPath, ['tools/bin/orion-sim.mjs', '--version'], { cwd: ROOT, stdio: 'ignore' });
  const rows: (string | number)[][] = [];
  let floor = { wall: Number.NaN, cpu: Number.NaN };
  for (const [name, cmd, args] of CASES) {
    const walls: number[] = [];
    const cpu0 = childCpuSeconds();
    const runs = SLOW.includes(cmd) || SLOW.includes(args[0]!) ? Math.max(2, Math.ceil(RUNS / 2)) : RUNS;
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(cmd, args, { cwd: ROOT, stdio: 'ignore' });
      walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (p.error) throw p.error;
    }
    const cpu = ((childCpuSeconds() - cpu0) * 1000) / runs;
    walls.sort((a, b) => a - b);
    const wall = walls[Math.floor(walls.length / 2)]!;
    if (rows.length === 0) floor = { wall, cpu };
    rows.push([name, runs, `${wall.toFixed(0)} ms`, `${cpu.toFixed(0)} ms`, rows.length === 0 ? '-' : `+${(cpu - floor.cpu).toFixed(0)} ms`]);
  }
  printTable('orion-sim start-up (CPU: the child\'s user + system time per run)', ['command', 'runs', 'wall (median)', 'CPU', 'CPU over node -e 0'], rows);
}
