import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runner as simulator } from '../../../scenarios/runner/index.ts';
import { cli, FAKE_RUNNER, scenarioText, scratch } from './harness.ts';

const file = () => join(scratch({ 's.toml': scenarioText() }), 's.toml');

describe('step: the stepper driven through a pipe', () => {
  it('next, state, until, where, back, show, mgmt, continue, quit', async () => {
    const script = [
      'next',
      'state client/nbd0/device',
      'next',
      'where',
      'until kind=rq.complete',
      'back 1',
      'show statecharts',
      'nbd-connection-info',
      'continue 15us',
      'quit',
      'next',
    ].join('\n');
    const r = await cli(['step', file()], { stdin: script });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = r.out.split('\n');
    expect(out[0]).toBe('stepping cli-test seed 1; `help` lists commands');
    // Event 1 (t=0): the device statechart starts connecting; its next state change is ready at 1 µs.
    expect(out[1]).toBe('[         0ns] #0 client/nbd0/device state {"value":"connecting","event":"start"}');
    // (a connection's state change at 500 ns is another machine's, so it does not stop there)
    expect(out[2]).toBe('[     1.000µs] #2 client/nbd0/device state {"value":"ready","event":"connected"}');
    expect(out[3]).toBe('ran 2 events; now 1.000µs, event 3');
    // Event 4: request 0 queued at 2 µs, with its packet.
    expect(out[4]).toBe('[     2.000µs] #3 client/nbd0 rq.queue {"rq":0,"op":"read","sector":0}');
    expect(out[5]).toMatch(/^\[ {5}2\.000µs\] #4 client\/nic0 nic\.tx \{"bytes":32,"wire":"45/);
    expect(out[6]).toBe('2.000µs, event 4, 5 records');
    // The first completion comes 10-15 µs after the first request (the fake's latency model).
    expect(out[7]).toMatch(/^\[ +1[2-7]\.\d{3}µs\] #\d+ client\/nbd0 rq\.complete \{"rq":\d+,"err":0\}$/);
    const [, events] = /event (\d+)$/.exec(out[8]!)!;
    // back 1 re-runs from the start to one event earlier.
    expect(out[9]).toMatch(new RegExp(`^back at event ${Number(events) - 1}, `));
    expect(r.out).toContain('"client/nbd0/device": "ready"');
    expect(r.out).toContain('  conn  server  state\n     0  a       transmission\n');
    // continue stops at the first event at or after 15 µs; quit ends the session (the last next never runs).
    expect(r.out).toMatch(/ran \d+ events; now 1[5-9]\.\d{3}µs, event \d+\n$/);
  });

  it('back to the start replays deterministically: the same records again', async () => {
    const r = await cli(['step', file()], { stdin: 'next 4\nback 4\nnext 4\n' });
    const recs = r.out.split('\n').filter((l) => l.startsWith('['));
    expect(recs.length).toBeGreaterThanOrEqual(8);
    expect(recs.slice(recs.length / 2)).toEqual(recs.slice(0, recs.length / 2));
    expect(r.out).toContain('back at event 0, 0ns\n');
  });

  it('a bad command line in a pipe is reported and makes the exit status 2', async () => {
    const r = await cli(['step', file()], { stdin: 'jump 5\nstate no-such-machine\nnext\n' });
    expect(r.code).toBe(2);
    expect(r.out).toContain('error: unknown command "jump" (try help)\n');
    expect(r.out).toContain('error: no statechart "no-such-machine" (machines: client/nbd0/device)\n');
    expect(r.out).toContain('#0 client/nbd0/device state');
  });

  it('steps a trace: scenario and seed come from its header', async () => {
    const dir = scratch({ 's.toml': scenarioText() });
    await cli(['run', join(dir, 's.toml'), '--seed', '2', '--trace', join(dir, 't.jsonl')]);
    const r = await cli(['step', join(dir, 't.jsonl')], { stdin: 'where\n' });
    expect(r.out.split('\n')[0]).toBe('stepping cli-test seed 2; `help` lists commands');
  });
});

describe('mgmt', () => {
  it('runs to --at and prints the command as a table, or JSON', async () => {
    const f = file();
    const r = await cli(['mgmt', f, '--at', '5us', 'nbd-connection-info']);
    expect([r.code, r.out]).toEqual([0, '  conn  server  state\n     0  a       transmission\n']);
    const j = await cli(['mgmt', f, '--at', '5us', '--json', 'nbd-connection-info', '--verbose']);
    expect(JSON.parse(j.out)).toEqual([{ conn: 0, server: 'a', state: 'transmission' }]);
  });

  it('a command the driver does not know, or not a management command, is bad input', async () => {
    const f = file();
    const r = await cli(['mgmt', f, '--at', '1us', 'nbd-frobnicate']);
    expect([r.code, r.err]).toEqual([2, 'orion-sim: nbd-frobnicate: unknown management command nbd-frobnicate\n']);
    const r2 = await cli(['mgmt', f, '--at', '1us', 'ls']);
    expect([r2.code, r2.err]).toEqual([2, 'orion-sim: ls: not a management command (they start with nbd-)\n']);
  });
});

describe('the entry points', () => {
  const env = { ...process.env, ORION_SIM_RUNNER: FAKE_RUNNER };
  it('npx tsx tools/bin/orion-sim.ts: bad input is one line and exit 2, never a stack trace', () => {
    const p = spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'run', 'missing.toml'], { encoding: 'utf8', env, timeout: 60_000 });
    expect([p.status, p.stderr, p.stdout]).toEqual([2, 'orion-sim: missing.toml: no such file\n', '']);
  });
});

describe('step: finish', () => {
  it('a second finish reports the first one\'s result, the digest of `run` (it used to finish the run again)', async () => {
    const r = await cli(['step', 'scenarios/smoke.toml'], { stdin: 'finish\nfinish\nquit\n', runner: simulator });
    expect(r.code).toBe(0);
    const digests = [...r.out.matchAll(/PASSED at [^,]+, digest ([0-9a-f]{64})/g)].map((m) => m[1]);
    expect(digests).toHaveLength(2);
    const run = await cli(['run', 'scenarios/smoke.toml', '--json', '--no-progress'], { runner: simulator });
    const digest = (JSON.parse(run.out.split('\n')[0]!) as { digest: string }).digest;
    expect(digests).toEqual([digest, digest]);
  });
});

describe('step: a server added at an address nothing can reach', () => {
  it('fails its connections (ENETUNREACH 101, EHOSTUNREACH 113) instead of throwing out of the run', async () => {
    const script = 'continue 1ms\nnbd-server-add zz 10809 disk0 10.9.9.9\nnbd-server-add yy 10809 disk0 garbage!!\ncontinue 50ms\nnbd-server-info\nquit\n';
    const r = await cli(['step', 'scenarios/smoke.toml'], { stdin: script, runner: simulator });
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/\n\s+1\s+zz\s+10\.9\.9\.9\s+10809\s+disk0\s+primary\s+down\s+socket error errno 101 /);
    expect(r.out).toMatch(/\n\s+2\s+yy\s+garbage!!\s+10809\s+disk0\s+primary\s+down\s+socket error errno 113 /);
  });
});
