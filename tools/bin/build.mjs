// `npm run build` (also run by `prepare`, so `npm ci` leaves a ready CLI): bundles the CLI into
// plain JavaScript under dist/, so `npx orion-sim` starts without compiling TypeScript. Three
// entries share chunks: the CLI, the simulator runner (imported lazily, so `--help` never loads
// the simulation) and the sweep worker thread. Packages stay in node_modules. No type checking
// here: `npm run typecheck` does that. Takes about 0.3 s.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// esbuild comes with tsx (a dependency), so resolve it from there rather than from the top level.
const require = createRequire(fileURLToPath(import.meta.resolve('tsx/package.json')));
const { build } = require('esbuild');

const root = fileURLToPath(new URL('../../', import.meta.url));
const outdir = `${root}dist`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // Names must match tools/cli/paths.ts.
  entryPoints: {
    'orion-sim': 'tools/bin/orion-sim.ts',
    runner: 'scenarios/runner/index.ts',
    'sweep-worker': 'tools/cli/sweep/worker.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Flat, so every bundled module's import.meta.url is in dist/ (tools/cli/paths.ts relies on it).
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});

