/**
 * Files the CLI finds next to its own code. From TypeScript (tests, `tsx`) they are source files
 * under the repository; from the bundle in dist/ (tools/bin/build.mjs, flat: every module's
 * import.meta.url is in dist/) they are the bundle's entries.
 */
const compiled = !import.meta.url.endsWith('.ts');
const root = new URL(compiled ? '../' : '../../', import.meta.url);

function entry(source: string, bundled: string): string {
  return new URL(compiled ? `dist/${bundled}` : source, root).href;
}

/** The module that exports `runner: Runner`. */
export const RUNNER_MODULE = entry('scenarios/runner/index.ts', 'runner.js');
/** The piscina worker of `sweep` (the TypeScript one needs a boot file that registers tsx). */
export const SWEEP_WORKER = entry('tools/cli/sweep/boot.mjs', 'sweep-worker.js');
/** package.json, for the version. */
export const PACKAGE_JSON = new URL('package.json', root);
