import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scenarioText, scratch } from './harness.ts';

/** Every error a user can cause is one line `orion-sim: ...` on stderr, exit 2, no stack trace. */
function expectUsage(r: { code: number; err: string; out: string }, line: string | RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
  if (typeof line === 'string') expect(r.err).toBe(`${line}\n`);
  else expect(r.err).toMatch(line);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('exit 0: success', () => {
  it('validate a valid scenario', async () => {
    const r = await cli(['validate', 'scenarios/smoke.toml']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok scenarios\/smoke\.toml: smoke/);
    expect(r.err).toBe('');
  });

  it('run a passing scenario prints the summary with digest and PASSED', async () => {
    const dir = scratch({ 's.toml': scenarioText() });
    const r = await cli(['run', join(dir, 's.toml'), '--seed', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenario cli-test {2}seed 2 {2}virtual time /);
    expect(r.out).toMatch(/digest [0-9a-f]{64}\n/);
    expect(r.out).toMatch(/expectations\n.*\n.*ok +latency\.read\.p99/);
    expect(r.out).toMatch(/faults applied\n {2}at +fault\n {2}3\.000µs +partition/);
    expect(r.out.trimEnd().endsWith('PASSED')).toBe(true);
  });

  it('--help and --version', async () => {
    expect((await cli(['--help'])).code).toBe(0);
    const v = await cli(['--version']);
    expect([v.code, v.out]).toEqual([0, '0.1.0\n']);
  });
});

describe('exit 1: a failed run', () => {
  it('a failed expectation prints FAILED and the one-line replay command', async () => {
    const dir = scratch({ 's.toml': scenarioText('fail-seeds=2') });
    const file = join(dir, 's.toml');
    const r = await cli(['run', file, '--seed', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL +latency\.read\.p99 +20\.000ms +10\.000ms/);
    expect(r.out).toContain('violations (safety: 1 block)\n  safety: block 7: read #3 returned stale data\n');
    expect(r.out).toContain(`FAILED\nreplay: npx orion-sim run ${file} --seed 2\n`);
  });

  it('--json prints the documented object; failing adds the replay line on stderr', async () => {
    const dir = scratch({ 's.toml': scenarioText('fail-seeds=1') });
    const r = await cli(['run', join(dir, 's.toml'), '--json']);
    expect(r.code).toBe(1);
    const o = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(o).slice(0, 8)).toEqual(['scenario', 'seed', 'digest', 'virtualTimeNs', 'events', 'passed', 'expectations', 'jobs']);
    expect(o).toMatchObject({ scenario: 'cli-test', seed: 1, passed: false });
    expect(o['expectations']).toEqual([
      { name: 'latency.read.p99', ok: false, actual: 20_000_000, limit: 10_000_000 },
      { name: 'safety', ok: false, actual: 1, limit: 0 },
    ]);
    expect(r.err).toMatch(/^replay: npx orion-sim run .* --seed 1\n$/);
  });

  it('--inject: a deliberately broken build fails, and the replay line repeats the hook', async () => {
    const file = join(scratch({ 's.toml': scenarioText() }), 's.toml');
    const r = await cli(['run', file, '--inject', 'drop-acked-write']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`replay: npx orion-sim run ${file} --seed 1 --inject drop-acked-write\n`);
    const bad = await cli(['run', file, '--inject', 'drop-everything']);
    expect([bad.code, bad.err]).toEqual([2, 'orion-sim: --inject: unknown hook "drop-everything" (known: drop-acked-write)\n']);
  });

  it('the simulation throwing is a failed run with a replay line, not a stack trace', async () => {
    const dir = scratch({ 's.toml': scenarioText('throw-seeds=1') });
    const r = await cli(['run', join(dir, 's.toml')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^orion-sim: the simulation threw at seed 1: fake simulator bug at seed 1; replay: npx orion-sim run .* --seed 1\n$/);
  });

  it('--check-determinism names the first record that differs', async () => {
    const dir = scratch({ 's.toml': scenarioText('nondeterministic') });
    const r = await cli(['run', join(dir, 's.toml'), '--check-determinism']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^NOT deterministic at seed 1: record #\d+ differs:\n {2}first run: {2}\d+ \d+ \S+ \S+/);
    const ok = await cli(['run', join(scratch({ 's.toml': scenarioText() }), 's.toml'), '--check-determinism']);
    expect([ok.code, ok.out]).toEqual([0, 'deterministic: seed 1 gives the same records and digest twice\n']);
  });

  it('--check-determinism on a deterministic run that fails its checks exits 1 and says which', async () => {
    const f = join(scratch({ 's.toml': scenarioText('fail-seeds=1') }), 's.toml');
    const r = await cli(['run', f, '--check-determinism']);
    expect([r.code, r.out, r.err]).toEqual([
      1,
      'deterministic: seed 1 gives the same records and digest twice; but the run FAILED its checks (latency.read.p99, safety)\n',
      `replay: npx orion-sim run ${f} --seed 1\n`,
    ]);
  });
});

describe('exit 2: bad input, one line, file + key + reason', () => {
  it('missing file', async () => {
    expectUsage(await cli(['run', 'nope/missing.toml']), 'orion-sim: nope/missing.toml: no such file');
    expectUsage(await cli(['validate', 'nope/missing.toml']), 'orion-sim: nope/missing.toml: no such file');
  });

  it('shrink --out into a missing directory is refused before any run is spent', async () => {
    expectUsage(await cli(['shrink', 'scenarios/smoke.toml', '--seed', '1', '--inject', 'drop-acked-write', '--out', 'nope/dir/x.toml']),
      'orion-sim: nope/dir/x.toml: cannot create file: no such directory');
  });

  it('an output that cannot be written (a full disk: /dev/full) is exit 2 naming the file', async () => {
    for (const flag of ['--trace', '--report', '--pcap']) {
      expectUsage(await cli(['run', 'scenarios/smoke.toml', flag, '/dev/full']), 'orion-sim: /dev/full: cannot write file (ENOSPC)');
    }
  });

  it('a device or a FIFO is refused, not read without end', async () => {
    expectUsage(await cli(['validate', '/dev/zero']), 'orion-sim: /dev/zero: is not a regular file (a device, FIFO or socket): give a file');
    expectUsage(await cli(['replay', '/dev/zero']), 'orion-sim: /dev/zero: is not a regular file (a device, FIFO or socket): give a file');
  });

  it('TOML syntax error with the line', async () => {
    const dir = scratch({ 'bad.toml': '[scenario]\nname = "x"\nseeds = [1,\n[[server]]\n' });
    expectUsage(await cli(['run', join(dir, 'bad.toml')]), new RegExp(`^orion-sim: ${join(dir, 'bad.toml')}:4:\\d+: TOML syntax error: `));
  });

  it('unknown key', async () => {
    const dir = scratch({ 's.toml': scenarioText('', '[machine]\ncores = 2\nnic_rings = 4\n') });
    const f = join(dir, 's.toml');
    const line = scenarioText('', '[machine]\ncores = 2\nnic_rings = 4\n').split('\n').indexOf('nic_rings = 4') + 1;
    expectUsage(await cli(['validate', f]), `orion-sim: ${f}:${line}: machine.nic_rings: unknown key "nic_rings"`);
  });

  it('wrong unit', async () => {
    const text = scenarioText().replace('duration = "1us"', 'duration = "1 jiffy"');
    const dir = scratch({ 's.toml': text });
    const f = join(dir, 's.toml');
    const line = text.split('\n').indexOf('duration = "1 jiffy"') + 1;
    expectUsage(await cli(['run', f]), `orion-sim: ${f}:${line}: at[0].duration: bad duration "1 jiffy": expected a number with ns, us, ms, s, m or h`);
  });

  it('unknown server in the timeline', async () => {
    const text = scenarioText('', '[[at]]\ntime = "1ms"\naction = "crash"\ntarget = "b"\n');
    const dir = scratch({ 's.toml': text });
    const f = join(dir, 's.toml');
    const line = text.split('\n').indexOf('target = "b"') + 1;
    expectUsage(await cli(['run', f]), `orion-sim: ${f}:${line}: at[1].target: unknown server "b" (servers: "a")`);
  });

  it('bad flags', async () => {
    expectUsage(await cli(['run', 'scenarios/smoke.toml', '--sede', '3']), /^orion-sim: unknown option '--sede' \(Did you mean --seed\?\)\n$/);
    expectUsage(await cli(['run', 'scenarios/smoke.toml', '--seed', '-1']), /^orion-sim: option '--seed <n>' argument '-1' is invalid/);
    expectUsage(await cli(['run', 'scenarios/smoke.toml', '--until', 'soon']), /^orion-sim: option '--until <time>' argument 'soon' is invalid\. bad duration "soon"/);
    expectUsage(await cli(['sweep', 'scenarios/smoke.toml', '--shard', '3/2']), /argument '3\/2' is invalid\. need 1 ≤ I ≤ N/);
    expectUsage(await cli(['frobnicate']), "orion-sim: unknown command 'frobnicate'");
    expectUsage(await cli(['run']), "orion-sim: missing required argument 'scenario'");
  });

  it('an output file that cannot be written', async () => {
    const f = join(scratch({ 's.toml': scenarioText() }), 's.toml');
    expectUsage(await cli(['run', f, '--trace', '/nonexistent-dir/t.jsonl']), 'orion-sim: /nonexistent-dir/t.jsonl: cannot create file: no such directory');
    expectUsage(await cli(['run', f, '--pcap', '/nonexistent-dir/w.pcap']), 'orion-sim: /nonexistent-dir/w.pcap: cannot create file: no such directory');
  });

  it('no subcommand prints the help and is a usage error', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: orion-sim/);
  });
});
