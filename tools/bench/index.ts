// `npm run bench`: simulator speed, printed as tables. Wall-clock numbers live here only.
// `npm run bench -- <suite>` runs one suite; `--profile` adds the suite's top functions by self time.
import { benchAgainst } from './against.ts';
import { benchBlk } from './blk.bench.ts';
import { benchEngine } from './engine.bench.ts';
import { benchInterop } from './interop.bench.ts';
import { benchNbd } from './nbd.bench.ts';
import { profiled } from './profile.ts';
import { benchTcp } from './tcp.bench.ts';
import { benchSustained } from './sustained.bench.ts';
import { benchStartup } from './startup.bench.ts';

// `nbd` runs its rows in child processes and profiles their timed runs itself.
const selfProfiled = new Set(['nbd']);
const suites: [string, () => void | Promise<void>][] = [
  ['engine', benchEngine],
  ['blk', benchBlk],
  ['tcp', benchTcp],
  ['nbd', () => benchNbd(profile)],
  ['sustained', benchSustained],
  ['interop', benchInterop],
  ['startup', benchStartup],
];

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const againstAt = args.indexOf('--against');
const against = againstAt >= 0 ? args[againstAt + 1] : undefined;
if (againstAt >= 0 && (against === undefined || against.startsWith('--'))) {
  console.error('bench: --against needs a commit (e.g. --against HEAD~3)');
  process.exit(2);
}
const only = args.find((a, i) => !a.startsWith('--') && (againstAt < 0 || i !== againstAt + 1));
if (only && !suites.some(([name]) => name === only)) {
  console.error(`bench: no suite '${only}' (suites: ${suites.map(([n]) => n).join(', ')})`);
  process.exit(2);
}
if (against !== undefined) {
  if (!only) {
    console.error('bench: --against compares one suite: name it (e.g. npm run bench -- nbd --against HEAD~3)');
    process.exit(2);
  }
  benchAgainst(against, only);
  process.exit(0);
}
for (const [name, run] of suites) {
  if (only && only !== name) continue;
  try {
    if (profile && !selfProfiled.has(name)) await profiled(name, run);
    else await run();
  } catch (e) {
    // One suite's missing tool or broken stack must not hide the other tables.
    console.error(`\nbench '${name}' did not run: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
