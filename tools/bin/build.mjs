// `npm run build` (also run by `prepare`, so `npm ci` leaves a ready CLI): bundles the CLI into
// plain JavaScript under dist/, so the orion-sim command starts without compiling TypeScript.
// Three entries share chunks: the CLI, the simulator runner and the sweep worker thread; every
// command's action is a dynamic import (tools/cli/command.ts `lazy`), so esbuild puts it in its
// own chunk and `--help` loads none of them. Packages stay in node_modules (but BUNDLED). No type checking
// here: `npm run typecheck` does that. dist/build.json lists the sources that went in, so the
// launcher (tools/bin/orion-sim.mjs) notices a stale build. Takes about 0.3 s.
import { readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_INFO } from './freshness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outdir = `${root}dist`;

/**
 * Packages bundled into dist/ from their ES module build instead of loaded from node_modules:
 * under Node, rxjs resolves to its CommonJS build, which requires all ~400 of its files at
 * startup (0.16 s of CPU, the largest part of loading the simulator); bundled, esbuild keeps only
 * the operators the code uses. xstate likewise (its `module` entry). Same code, same digests.
 */
const BUNDLED = { rxjs: 'es2015', xstate: 'module' };

/** An esbuild plugin resolving each BUNDLED package to the entry its package.json names for the condition. */
function bundledEsm(require) {
  return {
    name: 'bundled-esm',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${Object.keys(BUNDLED).join('|')})$`) }, (args) => {
        const pkgJson = require.resolve(`${args.path}/package.json`, { paths: [root] });
        const entry = JSON.parse(readFileSync(pkgJson, 'utf8')).exports['.'][BUNDLED[args.path]];
        if (typeof entry !== 'string') return { errors: [{ text: `${args.path} has no "${BUNDLED[args.path]}" export to bundle` }] };
        return { path: join(dirname(pkgJson), entry) };
      });
    },
  };
}

/** Builds dist/ in place; returns false (esbuild printed why) when the sources do not compile. */
export async function buildDist() {
  // esbuild comes with tsx (a dependency), so resolve it from there rather than from the top level.
  const require = createRequire(fileURLToPath(import.meta.resolve('tsx/package.json')));
  const { build } = require('esbuild');
  // An edit made while esbuild reads the sources must count as newer than this build.
  const startedMs = Date.now();
  let result;
  try {
    result = await build({
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
      plugins: [bundledEsm(require)],
      // Flat, so every bundled module's import.meta.url is in dist/ (tools/cli/paths.ts relies on it).
      chunkNames: '[name]-[hash]',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
    });
  } catch {
    return false;
  }
  // Written in place (not rm -rf first), so a CLI already running keeps finding its chunks; then
  // the chunks of earlier builds go.
  const outputs = new Set(Object.keys(result.metafile.outputs).map((o) => o.replace(/^dist\//, '')));
  for (const f of readdirSync(outdir)) if (!outputs.has(f) && f !== BUILD_INFO) rmSync(`${outdir}/${f}`, { force: true });
  // Bundled packages change only through npm, whose install runs this build again (prepare).
  const inputs = [...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')), 'tools/bin/build.mjs', 'tools/bin/freshness.mjs'];
  const tmp = `${outdir}/${BUILD_INFO}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ startedMs, inputs })}\n`);
  renameSync(tmp, `${outdir}/${BUILD_INFO}`);
  return true;
}

// Run as a script (`node tools/bin/build.mjs`), not imported by the bin; realpath, as
// import.meta.url has symlinks resolved and argv[1] does not.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  if (!(await buildDist())) process.exitCode = 1;
}
