// The runner's options and its paused session, as the CLI uses them: trace sink, packet tap,
// --until, swarm draws, and the stepper's view (statecharts, blk-mq, in-flight commands, mgmt).
import { join } from 'node:path';
import { BUG_NAMES } from '../../../hw-sim/engine/bugs.ts';
import { describe, expect, it } from 'vitest';
import { digestOfRecords, type TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { readFileSync } from 'node:fs';
import { loadScenario, parseScenario } from '../../../scenarios/schema/index.ts';
import { runner, runScenario } from '../../../scenarios/runner/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const smoke = loadScenario(join(DIR, 'smoke.toml'));
const mix = loadScenario(join(DIR, 'fault-mix.toml'));

describe('runner options', () => {
  it('the trace sink sees every record, and the digest is recomputed from them as a JSONL trace holds them', () => {
    const recs: TraceRecord[] = [];
    const r = runScenario(smoke, 1, { onTrace: (x) => recs.push(x) });
    expect(recs.length).toBeGreaterThan(1000);
    expect(recs.map((x) => x.seq)).toEqual(recs.map((_, i) => i));
    expect(digestOfRecords(recs.map((x) => JSON.parse(JSON.stringify(x)) as TraceRecord))).toBe(r.digest);
    // Faults and management commands are records too.
    expect(recs.some((x) => x.src === 'runner' && x.kind === 'fault.partition')).toBe(true);
    expect(recs.some((x) => x.src === 'runner' && x.kind === 'fault.heal')).toBe(true);
    expect(recs.some((x) => x.src === 'runner' && x.kind === 'mgmt')).toBe(true);
  });

  it('the packet tap hands over IPv4 packets of the client cable in time order', () => {
    const pkts: { t: number; p: Uint8Array }[] = [];
    runScenario(smoke, 1, { onPacket: (t, p) => pkts.push({ t, p: p.slice() }), untilNs: 2_000_000 });
    expect(pkts.length).toBeGreaterThan(10);
    for (const { p } of pkts) {
      expect(p[0]).toBe(0x45); // IPv4, 20-byte header
      expect((p[2]! << 8) | p[3]!).toBe(p.length); // total length
      expect(p[9]).toBe(6); // TCP
    }
    // Timestamps are when a frame's last bit arrived; one cable serialises, so never backwards per direction.
    const c2s = pkts.filter(({ p }) => p[15] === 1); // from 10.0.0.1
    for (let i = 1; i < c2s.length; i++) expect(c2s[i]!.t).toBeGreaterThanOrEqual(c2s[i - 1]!.t);
  });

  it('TLS-PSK: verify headers are on the wire in clear text without TLS and never with it', () => {
    const magic = Buffer.from('FVRO'); // the workload's verify magic 0x4f525646, little-endian
    const sees = (file: string): boolean => {
      let seen = false;
      runScenario(loadScenario(join(DIR, file)), 1, { onPacket: (_t, p) => { if (!seen && Buffer.from(p).includes(magic)) seen = true; }, untilNs: 3_000_000 });
      return seen;
    };
    expect(sees('smoke.toml')).toBe(true);
    expect(sees('tls-psk.toml')).toBe(false);
  });

  it('tls-psk: the server holds the scenario\'s key, so TLS with the right key comes up on both ends and the run passes', () => {
    const recs: TraceRecord[] = [];
    const r = runScenario(loadScenario(join(DIR, 'tls-psk.toml')), 1, { onTrace: (x) => { if (/tls/i.test(x.kind) || /tls|TLS/.test(JSON.stringify(x.data))) recs.push(x); } });
    expect(r.passed).toBe(true);
    expect(r.expectations.find((e) => e.name === 'device')).toBeUndefined();
    expect(r.jobs.reduce((a, j) => a + j.ios, 0)).toBe(100);
    // The server side: STARTTLS asked for, the PSK identity found, the session encrypted; never a failure.
    expect(recs.some((x) => x.src.startsWith('a/nbd-server/') && x.kind === 'nbd.option' && x.data?.['option'] === 'NBD_OPT_STARTTLS')).toBe(true);
    expect(recs.filter((x) => x.src.startsWith('a/nbd-server/') && x.kind === 'nbd.tls.ready').map((x) => x.data)).toEqual([{ identity: 'orion' }]);
    expect(recs.filter((x) => x.kind === 'nbd.tls.failed')).toEqual([]);
    // The client side: the connection went through its TLS handshake state and out again with TLS done.
    expect(recs.some((x) => x.src === 'nbd0/conn0' && x.kind === 'state' && x.data?.['event'] === 'TLS_DONE')).toBe(true);
  });

  it('trace off: no record reaches the sink, and the run itself is the same (jobs, verdict, time, events)', () => {
    let seen = 0;
    const off = runScenario(smoke, 1, { trace: false, onTrace: () => { seen++; } });
    const on = runScenario(smoke, 1);
    expect(seen).toBe(0);
    expect(off.passed).toBe(true);
    // The server-side ack checker reads the trace, so it runs only with the trace on; every other
    // expectation is the same either way.
    const withoutTraceChecks = on.expectations.filter((e) => e.name !== 'server-acks');
    expect(on.expectations.find((e) => e.name === 'server-acks')?.ok).toBe(true);
    expect(off.expectations.find((e) => e.name === 'server-acks')).toBeUndefined();
    expect([off.virtualTimeNs, off.events, off.jobs, off.expectations]).toEqual([on.virtualTimeNs, on.events, on.jobs, withoutTraceChecks]);
    expect(off.digest).not.toBe(on.digest);
  });

  it('--until stops at that virtual time with requests still undecided, not failed', () => {
    const r = runScenario(smoke, 1, { untilNs: 20_000_000 });
    expect(r.virtualTimeNs).toBe(20_000_000);
    expect(r.faults.map((f) => f.description)).toEqual(['partition client<->a for 50ms']);
    expect(r.passed).toBe(true);
  });

  it('swarm: the seed also draws the faults; same seed, same draw', () => {
    const a = runScenario(mix, 7, { swarm: true });
    const b = runScenario(mix, 7, { swarm: true });
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(runScenario(mix, 7).digest);
    const draws = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const recs: TraceRecord[] = [];
      runScenario(mix, seed, { swarm: true, untilNs: 1, onTrace: (x) => { if (x.kind === 'swarm.draw') recs.push(x); } });
      draws.add(JSON.stringify((recs[0]?.data as { kept?: unknown } | undefined)?.kept));
    }
    expect(draws.size).toBeGreaterThan(1);
  });

  it('a timeline management command that fails fails the run, naming the command and the time', () => {
    const text = readFileSync(join(DIR, 'perf-latency.toml'), 'utf8') + '\n[[at]]\ntime = "1ms"\naction = "mgmt"\ncommand = "nbd-connection-reset 99"\n';
    const r = runScenario(parseScenario(text, 'bad-mgmt.toml'), 1);
    const m = r.expectations.find((e) => e.name === 'mgmt');
    expect(m?.ok).toBe(false);
    expect(String(m?.actual)).toMatch(/^\[\[at\]\] 1ms nbd-connection-reset 99: /);
    expect(r.passed).toBe(false);
  });

  it('an expected device failure passes only when the device fails, for the stated reason', () => {
    const wrongKey = readFileSync(join(DIR, 'tls-wrong-key.toml'), 'utf8');
    const asIs = runScenario(parseScenario(wrongKey, 'wrong-key.toml'), 1);
    expect(asIs.passed).toBe(true);
    expect(asIs.expectations[0]).toMatchObject({ name: 'device', ok: true });
    // The same failure with another reason asked for: not the failure the scenario expects.
    const other = runScenario(parseScenario(wrongKey.replace('reason = "wrong PSK"', 'reason = "connection refused"'), 'other.toml'), 1);
    expect(other.passed).toBe(false);
    expect(other.expectations[0]).toMatchObject({ name: 'device', ok: false, limit: 'failed: …connection refused…' });
    expect(String(other.expectations[0]!.actual)).toMatch(/^failed: .*wrong PSK/);
    // Without the expectation, the failed device fails the run.
    const plain = runScenario(parseScenario(wrongKey.replace(/^device = .*$/m, ''), 'plain.toml'), 1);
    expect(plain.passed).toBe(false);
    expect(plain.expectations[0]).toMatchObject({ name: 'device', ok: false, limit: 'ready' });
    // A device that comes up when failure was expected fails the run.
    const psk = readFileSync(join(DIR, 'tls-psk.toml'), 'utf8').replace('[expect]', '[expect]\ndevice = "failed"');
    const up = runScenario(parseScenario(psk, 'up.toml'), 1, { untilNs: 5_000_000 });
    expect(up.passed).toBe(false);
    expect(up.expectations[0]).toMatchObject({ name: 'device', ok: false, actual: 'ready', limit: 'failed' });
  });

  it('lists its broken-driver hooks for the CLI', () => {
    expect(runner.faultInjections).toEqual(BUG_NAMES);
    expect(runner.faultInjections).toContain('drop-acked-write');
  });
});

describe('paused session (stepper, mgmt)', () => {
  it('steps event by event, shows every layer, runs a management command, and finishes like a run', () => {
    const s = runner.openSession!(smoke, 2);
    expect(s.now).toBe(0);
    let steps = 0;
    while (s.now < 3_000_000) {
      const recs = s.step();
      expect(recs).toBeDefined();
      steps++;
    }
    expect(steps).toBeGreaterThan(100);
    expect(s.machines()).toEqual(expect.arrayContaining(['nbd0', 'nbd0/conn0', 'nbd0/conn1']));
    const show = s.show() as Record<string, Record<string, unknown>>;
    expect(show['statecharts']!['nbd0']).toBe('ready');
    expect(show['device']!['state']).toBe('ready');
    expect(Object.keys(show['blk']!)).toEqual(expect.arrayContaining(['block/nbd0/hctx/0/tags_in_use']));
    expect(Array.isArray(show['nbdInflight'])).toBe(true);
    expect(Object.keys(show['nics']!)).toEqual(['client', 'a']);
    expect(Object.keys(show['tcp']!).length).toBeGreaterThanOrEqual(4); // two connections, both ends
    const out = s.mgmt(['nbd-connection-info']);
    expect(out.table?.rows.length).toBe(2);
    expect(() => s.mgmt(['nbd-no-such-command'])).toThrow(/unknown management command/);
    const r = s.finish();
    expect(r.passed).toBe(true);
    expect(r.digest).toBe(runScenario(smoke, 2).digest);
  });
});
