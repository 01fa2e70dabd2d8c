import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

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
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };
    expect(node(['--version']).stdout).toBe(`${pkg.version}\n`);
    expect(pkg.bin['orion-sim']).toBe('dist/orion-sim.js');
    expect(readFileSync('dist/orion-sim.js', 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
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
  });
});
