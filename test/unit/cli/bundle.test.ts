import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { staleReason } from '../../../tools/bin/freshness.mjs';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { loadScenario } from '../../../scenarios/schema/load.ts';

// The CLI as `npm ci` leaves it: the bundle in dist/ that `prepare` builds, run by plain node
// (no tsx), with the real simulator runner.
const { ORION_SIM_RUNNER: _fake, ...env } = process.env;
const node = (args: string[]) => spawnSync(process.execPath, ['dist/orion-sim.js', ...args], { encoding: 'utf8', env, timeout: 120_000 });

beforeAll(() => {
  const b = spawnSync(process.execPath, ['tools/bin/build.mjs'], { encoding: 'utf8', timeout: 120_000 });
  expect([b.status, b.stderr]).toEqual([0, '']);
}, 120_000);

describe('the bundled CLI (dist/orion-sim.js)', () => {
  it('starts as a node script: --help lists the commands, --version is package.json\'s', () => {
    const h = node(['--help']);
    expect(h.status).toBe(0);
    for (const c of ['run', 'sweep', 'replay', 'step', 'mgmt', 'trace', 'validate', 'probe', 'serve']) expect(h.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin?: unknown; scripts: Record<string, string> };
    expect(node(['--version']).stdout).toBe(`${pkg.version}\n`);
    // No "bin": npx would install the root package into its cache first; prepare links the command.
    expect(pkg.bin).toBeUndefined();
    expect(pkg.scripts['prepare']).toBe('npm run build && node tools/bin/link-bin.mjs');
    expect(readFileSync('dist/orion-sim.js', 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help loads the entry, a few shared chunks and commander: no command\'s chunk, no runner, no other package', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'orion-load-')), 'loaded.txt');
    const h = spawnSync(process.execPath, ['--import', './test/unit/cli/load-log.mjs', 'dist/orion-sim.js', '--help'], { encoding: 'utf8', env: { ...env, LOAD_LOG: log }, timeout: 60_000 });
    expect(h.status).toBe(0);
    const urls = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
    const dist = urls.filter((u) => u.includes('/dist/')).map((u) => u.slice(u.lastIndexOf('/') + 1));
    const packages = new Set(urls.filter((u) => u.includes('/node_modules/')).map((u) => u.slice(u.lastIndexOf('/node_modules/') + 14).split('/')[0]));
    expect(dist[0]).toBe('orion-sim.js');
    // Shared chunks are named chunk-HASH.js; a command's action chunk is named after its file (run-HASH.js).
    expect(dist.slice(1).filter((f) => !/^chunk-[A-Z0-9]+\.js$/.test(f))).toEqual([]);
    expect([...packages]).toEqual(['commander']);
  });

  it('the simulator carries rxjs and xstate in its bundle (ES modules, only what it uses): neither loads from node_modules', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'orion-load-')), 'loaded.txt');
    const p = spawnSync(process.execPath, ['--import', './test/unit/cli/load-log.mjs', 'dist/orion-sim.js', 'step', 'scenarios/smoke.toml'], { encoding: 'utf8', input: 'next\nquit\n', env: { ...env, LOAD_LOG: log }, timeout: 60_000 });
    expect([p.status, p.stderr]).toEqual([0, '']);
    const urls = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
    expect(urls.some((u) => u.endsWith('/dist/runner.js'))).toBe(true);
    const packages = new Set(urls.filter((u) => u.includes('/node_modules/')).map((u) => u.slice(u.lastIndexOf('/node_modules/') + 14).split('/')[0]));
    expect([...packages].filter((x) => x === 'rxjs' || x === 'xstate')).toEqual([]);
  });

  it('the bin (tools/bin/orion-sim.mjs) runs a current build as it is, without a rebuild note', () => {
    const b = spawnSync(process.execPath, ['tools/bin/orion-sim.mjs', '--version'], { encoding: 'utf8', env, timeout: 60_000 });
    expect([b.status, b.stderr]).toEqual([0, '']);
    expect(staleReason(process.cwd())).toBeUndefined();
  });

  it('prepare links node_modules/.bin/orion-sim to the launcher, and npx runs the command through it', () => {
    const l = spawnSync(process.execPath, ['tools/bin/link-bin.mjs'], { encoding: 'utf8', timeout: 60_000 });
    expect([l.status, l.stderr]).toEqual([0, '']);
    expect(readlinkSync('node_modules/.bin/orion-sim')).toBe('../../tools/bin/orion-sim.mjs');
    const x = spawnSync('npx', ['--offline', 'orion-sim', '--version'], { encoding: 'utf8', env, timeout: 60_000 });
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect([x.status, x.stdout]).toEqual([0, `${pkg.version}\n`]);
  });

  it('bad input is one line and exit 2, never a stack trace', () => {
    const p = node(['run', 'missing.toml']);
    expect([p.status, p.stderr, p.stdout]).toEqual([2, 'orion-sim: missing.toml: no such file\n', '']);
  });

  it('npm start -- … runs scenarios/smoke.toml; a sweep on worker threads gives the same digest for that seed', () => {
    const p = spawnSync('npm', ['start', '--silent', '--', '--seed', '3', '--json'], { encoding: 'utf8', env, timeout: 120_000 });
    expect([p.status, p.stderr]).toEqual([0, '']);
    const run = JSON.parse(p.stdout) as { scenario: string; seed: number; passed: boolean; digest: string };
    expect(run).toMatchObject({ scenario: 'smoke', seed: 3, passed: true });
    const s = node(['sweep', 'scenarios/smoke.toml', '--seeds', '2..3', '--jobs', '2', '--json']);
    expect([s.status, s.stderr]).toEqual([0, '']);
    const sweep = JSON.parse(s.stdout) as { results: { seed: number; passed: boolean; digest: string }[] };
    expect(sweep.results.map((x) => [x.seed, x.passed])).toEqual([[2, true], [3, true]]);
    expect(sweep.results[1]!.digest).toBe(run.digest);
    // The bundle (rxjs and xstate inside it) and the TypeScript sources (packages from node_modules) agree.
    expect(runScenario(loadScenario('scenarios/smoke.toml'), 3).digest).toBe(run.digest);
  });
});

describe('staleReason: is dist/ the build of the sources as they are?', () => {
  const tree = (inputs: string[], startedMs: number | undefined) => {
    const root = mkdtempSync(join(tmpdir(), 'orion-fresh-'));
    mkdirSync(join(root, 'dist'));
    mkdirSync(join(root, 'src'));
    for (const f of inputs) {
      writeFileSync(join(root, f), 'x');
      utimesSync(join(root, f), 1000, 1000); // 1970-01-01T00:16:40Z, in seconds
    }
    if (startedMs !== undefined) writeFileSync(join(root, 'dist/build.json'), JSON.stringify({ startedMs, inputs }));
    return root;
  };

  it('current when every input is older than the build\'s start', () => {
    expect(staleReason(tree(['src/a.ts', 'src/b.ts'], 2_000_000))).toBeUndefined();
  });

  it('names the first input written after the build started, or gone since', () => {
    const root = tree(['src/a.ts', 'src/b.ts'], 2_000_000);
    utimesSync(join(root, 'src/b.ts'), 2001, 2001);
    expect(staleReason(root)).toBe('src/b.ts changed since the last build');
    const gone = tree(['src/a.ts'], 2_000_000);
    writeFileSync(join(gone, 'dist/build.json'), JSON.stringify({ startedMs: 2_000_000, inputs: ['src/a.ts', 'src/c.ts'] }));
    expect(staleReason(gone)).toBe('src/c.ts is gone since the last build');
  });

  it('no build record: not built yet', () => {
    expect(staleReason(tree(['src/a.ts'], undefined))).toBe('dist/ is not built yet');
  });
});
