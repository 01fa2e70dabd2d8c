/**
 * `npm run mutants [-- --jobs N] [bug ...]`: switches each catalogued bug on in turn, runs its
 * killer scenarios, and prints which scenario and seed killed it. Exit 1 if any bug survived,
 * 2 on an unknown bug name.
 */
import { cpus } from 'node:os';
import { BUG_NAMES, isBugName, type BugName } from '../../hw-sim/engine/bugs.ts';
import { formatTable } from './hunt.ts';
import { huntAll } from './pool.ts';

const args = process.argv.slice(2);
let jobs = Math.max(1, Math.min(2, cpus().length));
const picked: BugName[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--jobs') {
    jobs = Number(args[++i]);
    if (!Number.isInteger(jobs) || jobs < 1) { process.stderr.write(`mutants: --jobs wants a positive integer, got "${args[i] ?? ''}"\n`); process.exit(2); }
  } else if (isBugName(a)) picked.push(a);
  else { process.stderr.write(`mutants: unknown bug "${a}" (known: ${BUG_NAMES.join(', ')})\n`); process.exit(2); }
}
const bugs = picked.length > 0 ? picked : [...BUG_NAMES];
const t0 = Date.now();
const rows = await huntAll(bugs, jobs);
process.stdout.write(`${formatTable(rows)} (${((Date.now() - t0) / 1000).toFixed(1)} s, ${jobs} thread(s))\n`);
process.exitCode = rows.every((r) => r.killedBy) ? 0 : 1;
