import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FAKE_RUNNER, scenarioText, scratch } from './harness.ts';

describe('sweep', () => {
  it('plain lines off a terminal, failing seeds with replay commands, exit 1', async () => {
    const dir = scratch({ 's.toml': scenarioText('fail-seeds=3,5 throw-seeds=6') });
    const f = join(dir, 's.toml');
    const r = await cli(['sweep', f, '--seeds', '1..6']);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 6).map((l) => l.replace(/ FAIL .*/, ' FAIL'))).toEqual([
      '[1/6] seed 1: pass', '[2/6] seed 2: pass', '[3/6] seed 3: FAIL', '[4/6] seed 4: pass', '[5/6] seed 5: FAIL', '[6/6] seed 6: FAIL',
    ]);
    expect(lines[6]).toMatch(/^cli-test: 6 seeds, 3 passed, 3 failed, [0-9.]+s wall$/);
    expect(r.out).toContain(`FAIL seed 3: latency.read.p99: 20.000ms (limit 10.000ms); safety: 1 block (limit 0 blocks); safety: block 7: read #3 returned stale data\n  replay: npx orion-sim run ${f} --seed 3\n`);
    expect(r.out).toContain('FAIL seed 6: threw: fake simulator bug at seed 6\n');
  });

  it('all seeds passing is exit 0; --shard runs only its seeds; --json reports them', async () => {
    const f = join(scratch({ 's.toml': scenarioText() }), 's.toml');
    const r = await cli(['sweep', f, '--seeds', '10..19', '--shard', '2/4', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out) as { seeds: number; passed: number; failed: unknown[]; results: { seed: number; digest: string }[]; shard: unknown };
    // Seeds s with s mod 4 = 1: 13 and 17.
    expect(o.results.map((x) => x.seed)).toEqual([13, 17]);
    expect(o).toMatchObject({ seeds: 2, passed: 2, failed: [], shard: { index: 2, count: 4 } });
    expect(o.results[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--inject fails every seed and puts the hook in each replay line', async () => {
    const f = join(scratch({ 's.toml': scenarioText() }), 's.toml');
    const r = await cli(['sweep', f, '--seeds', '1..2', '--inject', 'drop-acked-write', '--json']);
    expect(r.code).toBe(1);
    const o = JSON.parse(r.out) as { failed: { seed: number; replay: string }[] };
    expect(o.failed.map((x) => x.replay)).toEqual([1, 2].map((s) => `npx orion-sim run ${f} --seed ${s} --inject drop-acked-write`));
  });

  it('on a terminal: a progress bar on stderr instead of lines, the report on stdout', async () => {
    const f = join(scratch({ 's.toml': scenarioText('fail-seeds=2') }), 's.toml');
    const r = await cli(['sweep', f, '--seeds', '1..3'], { tty: true });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/sweep \[[█░]+\] 3\/3 seeds \| 1 failed/);
    expect(r.out).not.toContain('[1/3]');
    expect(r.out).toMatch(/^cli-test: 3 seeds, 2 passed, 1 failed/);
  });

  it('the default seeds are the scenario\'s', async () => {
    const r = await cli(['sweep', join(scratch({ 's.toml': scenarioText() }), 's.toml'), '--json']);
    expect((JSON.parse(r.out) as { results: { seed: number }[] }).results.map((x) => x.seed)).toEqual([1, 2]);
  });

  it('--jobs N runs seeds on a piscina worker pool; digests equal the in-process ones', async () => {
    const f = join(scratch({ 's.toml': scenarioText('fail-seeds=4') }), 's.toml');
    const p = spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'sweep', f, '--seeds', '1..8', '--jobs', '3', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, ORION_SIM_RUNNER: FAKE_RUNNER },
      timeout: 60_000,
    });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(1);
    const pooled = JSON.parse(p.stdout) as { results: { seed: number; passed: boolean; digest: string }[] };
    expect(pooled.results.map((x) => [x.seed, x.passed])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => [s, s !== 4]));
    const inline = JSON.parse((await cli(['sweep', f, '--seeds', '1..8', '--json'])).out) as typeof pooled;
    expect(pooled.results.map((x) => x.digest)).toEqual(inline.results.map((x) => x.digest));
  });
});
