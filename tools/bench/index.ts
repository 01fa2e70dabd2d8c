// `npm run bench`: simulator speed, printed as tables. Wall-clock numbers live here only.
import { benchEngine } from './engine.bench.ts';

const suites: [string, () => void][] = [['engine', benchEngine]];

const only = process.argv[2];
for (const [name, run] of suites) {
  if (only && only !== name) continue;
  run();
}
