import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace, traceDigest } from '../../../tools/trace/format.ts';
import { cli, scenarioText, scratch } from './harness.ts';

async function traced(desc = ''): Promise<{ dir: string; scenario: string; trace: string; digest: string }> {
  const dir = scratch({ 's.toml': scenarioText(desc) });
  const scenario = join(dir, 's.toml');
  const trace = join(dir, 'run.jsonl');
  const r = await cli(['run', scenario, '--seed', '2', '--trace', trace, '--json']);
  expect(r.code).toBe(0);
  return { dir, scenario, trace, digest: (JSON.parse(r.out) as { digest: string }).digest };
}

describe('run --trace writes a JSONL trace', () => {
  it('a header line, then {t, seq, src, kind, data} records whose digest is the run\'s', async () => {
    const { scenario, trace, digest } = await traced();
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ orion_trace: 1, scenario, seed: 2, version: '0.1.0' });
    expect(header['scenarioHash']).toMatch(/^[0-9a-f]{64}$/);
    const first = JSON.parse(lines[1]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['t', 'seq', 'src', 'kind', 'data']);
    expect(first).toMatchObject({ t: 0, seq: 0, src: 'client/nbd0/device', kind: 'state' });
    expect(traceDigest(readTrace(trace).records)).toBe(digest);
  });
});

describe('trace export', () => {
  it('perfetto: Chrome trace JSON that parses, a process per host, a track per device, request slices in µs', async () => {
    const { trace } = await traced();
    const r = await cli(['trace', 'export', trace, '--format', 'perfetto']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { traceEvents: { ph: string; name: string; pid: number; tid?: number; ts?: number; id?: string; args?: Record<string, unknown> }[]; displayTimeUnit: string };
    const ev = doc.traceEvents;
    const procs = ev.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!['name']);
    expect(procs).toEqual(['client', 'scenario']);
    const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!['name']);
    expect(threads).toEqual(expect.arrayContaining(['nbd0/device', 'nbd0', 'nic0', 'timeline']));
    // A driver source without a host prefix is a track of the client.
    const conn = ev.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args!['name'] === 'nbd0/conn0')!;
    expect(conn.pid).toBe(ev.find((e) => e.ph === 'M' && e.name === 'process_name' && e.args!['name'] === 'client')!.pid);
    // Request 0 is queued at 2000 ns and completes 10-15 µs later: an async slice b … e, ts in µs.
    const begin = ev.find((e) => e.ph === 'b' && e.id === 'client/nbd0#0')!;
    const end = ev.find((e) => e.ph === 'e' && e.id === 'client/nbd0#0')!;
    expect(begin).toMatchObject({ name: 'read 0', ts: 2 });
    expect(end.ts! - begin.ts!).toBeGreaterThanOrEqual(10);
    expect(end.ts! - begin.ts!).toBeLessThan(15);
    // Every async begin has an end, every state slice B an E.
    expect(ev.filter((e) => e.ph === 'b').length).toBe(ev.filter((e) => e.ph === 'e').length);
    expect(ev.filter((e) => e.ph === 'B').length).toBe(ev.filter((e) => e.ph === 'E').length);
    expect(ev.filter((e) => e.ph === 'B').map((e) => e.name)).toEqual(['connecting', 'transmission', 'ready']);
  });

  it('jsonl: the same trace back, line for line', async () => {
    const { trace } = await traced();
    const r = await cli(['trace', 'export', trace, '--format', 'jsonl']);
    expect(r.out).toBe(readFileSync(trace, 'utf8'));
  });

  it('pcap: the packet bytes in the trace, readable by tshark', async () => {
    const { dir, trace } = await traced();
    const out = join(dir, 'wire.pcap');
    expect((await cli(['trace', 'export', trace, '--format', 'pcap', '-o', out])).code).toBe(0);
    const pcap = readFileSync(out);
    expect(pcap.readUInt32LE(0)).toBe(0xa1b23c4d); // nanosecond pcap
    expect(pcap.readUInt32LE(20)).toBe(101); // LINKTYPE_RAW: IPv4 packets
    const tshark = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'ip.src', '-e', 'udp.dstport'], { encoding: 'utf8' });
    if (tshark.error) {
      // Not installed here: fail under CI (.ci/run installs it), check the structure by hand otherwise.
      expect(process.env['CI']).not.toBe('true');
      expect(pcap.readUInt32LE(24 + 8)).toBe(32); // first record: 28-byte IPv4/UDP header + 4 bytes
      return;
    }
    const rows = tshark.stdout.trim().split('\n');
    expect(rows).toHaveLength(10);
    expect(rows[0]).toBe('10.0.0.1\t10809');
  });

  it('run --pcap writes the packets directly', async () => {
    const dir = scratch({ 's.toml': scenarioText() });
    const out = join(dir, 'run.pcap');
    expect((await cli(['run', join(dir, 's.toml'), '--pcap', out])).code).toBe(0);
    const pcap = readFileSync(out);
    // 24-byte header + 10 packets of 16 + 32 bytes.
    expect(pcap.length).toBe(24 + 10 * 48);
    expect(pcap.readUInt32LE(24 + 4)).toBe(2000); // first packet at 2000 ns: ts_nsec
  });

  it('a file that is not a trace is bad input naming the line', async () => {
    const dir = scratch({ 'x.jsonl': '{"orion_trace":1,"scenario":"s","scenarioHash":"h","seed":1,"version":"0.1.0"}\n{"t":0}\n' });
    const r = await cli(['trace', 'export', join(dir, 'x.jsonl'), '--format', 'perfetto']);
    expect([r.code, r.err]).toEqual([2, `orion-sim: ${join(dir, 'x.jsonl')}:2: not a trace record {t, seq, src, kind, data}\n`]);
    const r2 = await cli(['trace', 'export', join(dir, 'nope.jsonl'), '--format', 'perfetto']);
    expect([r2.code, r2.err]).toEqual([2, `orion-sim: ${join(dir, 'nope.jsonl')}: no such file\n`]);
  });
});

describe('replay', () => {
  it('re-runs from the header and verifies every record and the digest', async () => {
    const { trace, digest } = await traced();
    const r = await cli(['replay', trace]);
    expect([r.code, r.out]).toEqual([0, `replay ok: ${readTrace(trace).records.length} records, digest ${digest}\n`]);
  });

  it('names the first record that differs: exit 1', async () => {
    const { trace } = await traced();
    const lines = readFileSync(trace, 'utf8').split('\n');
    lines[5] = lines[5]!.replace(/"seq":4,/, '"seq":4,"x":1,').replace('"kind":"', '"kind":"tampered-');
    writeFileSync(trace, lines.join('\n'));
    const r = await cli(['replay', trace]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^replay DIVERGED at record #4:\n {2}trace: {2}\d+ 4 \S+ tampered-/);
  });

  it('a file cut off before the run\'s run.end record is exit 2, truncated, not a divergence', async () => {
    const { trace } = await traced();
    const lines = readFileSync(trace, 'utf8').split('\n');
    writeFileSync(trace, `${lines.slice(0, 11).join('\n')}\n`); // the header and records #0..#9
    const r = await cli(['replay', trace]);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(new RegExp(`^orion-sim: ${trace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated: it ends after record #9 without the run's run.end record \\(the replay has \\d+ records\\)\n$`));
  });

  it('replays a run with a fault injection from its header', async () => {
    const dir = scratch({ 's.toml': scenarioText() });
    const trace = join(dir, 't.jsonl');
    expect((await cli(['run', join(dir, 's.toml'), '--inject', 'drop-acked-write', '--trace', trace])).code).toBe(1);
    expect(readTrace(trace).header.faultInjection).toBe('drop-acked-write');
    expect((await cli(['replay', trace])).code).toBe(0);
  });

  it('a changed scenario file is bad input (exit 2)', async () => {
    const { scenario, trace } = await traced();
    writeFileSync(scenario, `${readFileSync(scenario, 'utf8')}\n# edited\n`);
    const r = await cli(['replay', trace]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^orion-sim: ${trace}:1: scenarioHash: ${scenario} has changed since the trace was written`));
  });
});
