// `npm run bench`: simulator speed, printed as tables. Wall-clock numbers live here only.
// `npm run bench -- <suite>` runs one suite.
import { benchBlk } from './blk.bench.ts';
import { benchEngine } from './engine.bench.ts';

const suites: [string, () => void | Promise<void>][] = [
  ['engine', benchEngine],
  ['blk', benchBlk],
];

const only = process.argv[2];
if (only && !suites.some(([name]) => name === only)) {
  console.error(`bench: no suite '${only}' (suites: ${suites.map(([n]) => n).join(', ')})`);
  process.exit(2);
}
for (const [name, run] of suites) {
  if (only && only !== name) continue;
  await run();
}
