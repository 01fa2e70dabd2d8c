import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scenarioText, scratch } from './harness.ts';

describe('run --progress', () => {
  it('off a terminal: progress lines on stderr, the same summary and digest as without', async () => {
    const f = join(scratch({ 's.toml': scenarioText() }), 's.toml');
    const plain = await cli(['run', f]);
    const live = await cli(['run', f, '--progress']);
    expect([live.code, live.out]).toEqual([plain.code, plain.out]);
    expect(live.err).toMatch(/^virtual time \S+ {2}events \d+ {2}\S+ events\/s {2}requests \d+\n/m);
  });
});

// A run long enough to be stopped: a 20 s randread job.
const LONG = `[scenario]
name = "long"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "64MiB"
[[job]]
name = "r"
rw = "randread"
iodepth = 8
runtime = "20s"
`;

describe('Ctrl-C during a run', () => {
  it('stops at the next slice, prints a partial summary (no verdict) and exits 130', async () => {
    const f = join(scratch({ 'long.toml': LONG }), 'long.toml');
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/bin/orion-sim.ts', 'run', f, '--progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    // The first progress line says the run is under way: interrupt it then.
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('events/s')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(130);
    expect(out).toMatch(/^interrupted at virtual time \S+ after \S+ events \(\S+ s wall\); the run did not finish, so no expectation was checked\n/);
    expect(out).toMatch(/\nrequests completed so far\n {2}op +requests +p50 +p99 +max\n {2}read +\d+ /);
    expect(out).not.toMatch(/PASSED|FAILED/);
  }, 120_000);
});
