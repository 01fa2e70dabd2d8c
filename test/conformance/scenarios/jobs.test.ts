// The runner's job options: per-job start, every rw mode of the workload engine (trim and
// sequential rw included) down to the NBD wire, FUA and WRITE_ZEROES per job, and RAM-disk jobs that run the
// block layer without any network.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');

/** tls-psk's client and server without TLS and without its job: a base to add jobs to. */
const NBD_BASE = readFileSync(join(DIR, 'tls-psk.toml'), 'utf8')
  .replace(/^tls = .*$/gm, '')
  .replace(/\[\[job\]\][\s\S]*?(?=\[expect\])/, '');

const RAM_ONLY = `[scenario]
name = "ram"

[[job]]
name = "w"
device = "ram0"
rw = "randwrite"
bs = "4KiB"
iodepth = 4
size = "1MiB"
ios = 200
verify = true

[[job]]
name = "late"
device = "ram0"
rw = "randread"
iodepth = 2
size = "1MiB"
ios = 100
start = "2ms"
verify = true

[[job]]
name = "t"
device = "ram1"
rw = "trim"
bs = "64KiB"
size = "4MiB"

[[job]]
name = "s"
device = "ram1"
rw = "rw"
bs = "64KiB"
offset = "4MiB"
size = "4MiB"
`;

function traced(text: string, keep: (r: TraceRecord) => boolean): { r: ReturnType<typeof runScenario>; recs: TraceRecord[] } {
  const recs: TraceRecord[] = [];
  const r = runScenario(parseScenario(text, 'jobs.toml'), 1, { onTrace: (x) => { if (keep(x)) recs.push(x); } });
  return { r, recs };
}

describe('RAM-disk jobs (device = "ramN")', () => {
  it('run the block layer with no server and no network: every I/O done, data verified, no packet', () => {
    let packets = 0;
    const s = parseScenario(RAM_ONLY, 'ram.toml');
    expect(s.servers).toEqual([]);
    const r = runScenario(s, 1, { onPacket: () => { packets++; } });
    expect(r.passed).toBe(true);
    // ios as asked; the trim and the rw job make one pass: 4 MiB / 64 KiB = 64 each.
    expect(r.jobs.map((j) => [j.name, j.ios, j.errors])).toEqual([['w', 200, 0], ['late', 100, 0], ['t', 64, 0], ['s', 64, 0]]);
    expect(r.jobs[2]!.latency.trim?.count).toBe(64);
    expect(r.expectations.map((e) => [e.name, e.ok, e.actual])).toEqual([['jobs', true, 'all complete'], ['safety', true, 0], ['read-back', true, 'all reads ok']]);
    expect(packets).toBe(0);
  });

  it('a RAM disk is at least 64 MiB and grows to the furthest job', () => {
    const s = parseScenario(`${RAM_ONLY}\n[[job]]\nname = "far"\ndevice = "ram2"\nrw = "read"\noffset = "100MiB"\nsize = "28MiB"\n`, 'ram.toml');
    expect(s.jobs.find((j) => j.name === 't')!.sizeBytes).toBe(4 * 2 ** 20);
    expect(parseScenario(RAM_ONLY.replace('size = "4MiB"\n', ''), 'x.toml').jobs.find((j) => j.name === 't')!.sizeBytes).toBe(64 * 2 ** 20);
    expect(s.jobs.find((j) => j.name === 'far')!.sizeBytes).toBe(28 * 2 ** 20);
  });
});

describe('every device is checked', () => {
  const text = `${NBD_BASE}
[[job]]
name = "local"
device = "ram0"
rw = "randread"
size = "1MiB"
ios = 50
verify = true

[[job]]
name = "net"
rw = "randwrite"
size = "8MiB"
iodepth = 4
ios = 300
verify = true
`;

  it('an NBD device and a RAM disk in one run: both run, the run passes', () => {
    const r = runScenario(parseScenario(text, 'both.toml'), 1);
    expect(r.passed).toBe(true);
    expect(r.jobs.map((j) => [j.name, j.ios])).toEqual([['local', 50], ['net', 300]]);
  });

  it('a lost write on the NBD device fails safety even when the RAM disk comes first, naming the device', () => {
    const r = runScenario(parseScenario(text, 'both.toml'), 1, { faultInjection: 'drop-acked-write' });
    expect(r.passed).toBe(false);
    expect(r.safetyViolations.length).toBeGreaterThan(0);
    for (const v of r.safetyViolations) expect(v.message).toMatch(/^nbd0: block \d+: /);
  });
});

describe('per-job start', () => {
  it('on a RAM disk (ready at 0): a job starts exactly at its start time', () => {
    const { recs } = traced(RAM_ONLY, (x) => x.kind === 'workload.job.start');
    expect(recs.map((x) => [x.data?.['job'], x.t])).toEqual([['w', 0], ['t', 0], ['s', 0], ['late', 2_000_000]]);
  });

  it('on an NBD device: jobs wait for the device, and a later start still counts from time 0', () => {
    const text = `${NBD_BASE}
[[job]]
name = "now"
rw = "randread"
size = "1MiB"
ios = 20

[[job]]
name = "later"
rw = "randread"
size = "1MiB"
ios = 20
start = "5ms"
`;
    const { r, recs } = traced(text, (x) => x.kind === 'workload.job.start');
    expect(r.passed).toBe(true);
    const at = Object.fromEntries(recs.map((x) => [x.data?.['job'], x.t]));
    // The handshake takes a few round trips of 2 × 20 µs: the first job starts after it, well before 5 ms.
    expect(at['now']).toBeGreaterThan(100_000);
    expect(at['now']).toBeLessThan(5_000_000);
    expect(at['later']).toBe(5_000_000);
  });
});

describe('rw modes reach the wire', () => {
  it('trim and randtrim become NBD_CMD_TRIM; rw walks its range in order, reads and writes', () => {
    const text = `${NBD_BASE}
[[job]]
name = "trim"
rw = "trim"
bs = "64KiB"
size = "1MiB"

[[job]]
name = "randtrim"
rw = "randtrim"
bs = "4KiB"
offset = "1MiB"
size = "1MiB"
ios = 10

[[job]]
name = "seq"
rw = "rw"
bs = "4KiB"
offset = "4MiB"
size = "64KiB"
`;
    // The local cache off: its read-ahead READs and hits would hide which requests the job made.
    const uncached = text.replace(/^\[nbd\]$/m, '[nbd]\nlocal_cache_size = 0\nread_ahead_size = 0');
    expect(uncached).not.toBe(text);
    const { r, recs } = traced(uncached, (x) => x.kind === 'nbd.request' && x.src.startsWith('a/nbd-server/'));
    expect(r.passed).toBe(true);
    expect(r.jobs.map((j) => [j.name, j.ios])).toEqual([['trim', 16], ['randtrim', 10], ['seq', 16]]);
    const byCmd = (cmd: string, lo: number, hi: number) => recs.filter((x) => x.data?.['cmd'] === cmd && Number(x.data['offset']) >= lo && Number(x.data['offset']) < hi);
    // 1 MiB in 64 KiB trims, each offset once; 10 random 4 KiB trims in the second MiB.
    expect(byCmd('NBD_CMD_TRIM', 0, 2 ** 20).map((x) => x.data?.['offset']).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 16 }, (_, i) => i * 65536));
    expect(byCmd('NBD_CMD_TRIM', 2 ** 20, 2 ** 21).length).toBe(10);
    // rw: one pass over 64 KiB at 4 MiB, in order (queue depth 1), a mix of reads and writes.
    const seq = recs.filter((x) => (x.data?.['cmd'] === 'NBD_CMD_READ' || x.data?.['cmd'] === 'NBD_CMD_WRITE') && Number(x.data['offset']) >= 4 * 2 ** 20);
    expect(seq.map((x) => Number(x.data?.['offset']))).toEqual(Array.from({ length: 16 }, (_, i) => 4 * 2 ** 20 + i * 4096));
    expect(new Set(seq.map((x) => x.data?.['cmd']))).toEqual(new Set(['NBD_CMD_READ', 'NBD_CMD_WRITE']));
  });
});

describe('FUA and WRITE_ZEROES are per job', () => {
  it('two jobs on one device: fua = true puts NBD_CMD_FLAG_FUA on each of its writes, the other job\'s writes go plain', () => {
    const text = `${NBD_BASE}
[[job]]
name = "w"
rw = "randwrite"
size = "1MiB"
ios = 20
fua = true

[[job]]
name = "p"
rw = "randwrite"
offset = "1MiB"
size = "1MiB"
ios = 30
`;
    const { r, recs } = traced(text, (x) => x.kind === 'nbd.request' && x.data?.['cmd'] === 'NBD_CMD_WRITE');
    expect(r.passed).toBe(true);
    expect(recs.length).toBe(50);
    // NBD_CMD_FLAG_FUA = 1 << 0; job w writes below 1 MiB, job p above.
    for (const x of recs) expect(Number(x.data?.['flags']) & 1).toBe(Number(x.data?.['offset']) < 2 ** 20 ? 1 : 0);
  });

  it('fua = 50 and write_zeroes = 25: shares of the writes, on the wire, with zeros read back verified', () => {
    const text = `${NBD_BASE}
[[job]]
name = "w"
rw = "randwrite"
size = "256KiB"
ios = 400
fua = 50
write_zeroes = 25
verify = true
`.replace('[expect]', '[expect]\nwire_commands = { fua = 100, write_zeroes = 50 }');
    const { r, recs } = traced(text, (x) => x.kind === 'nbd.request');
    expect(r.passed).toBe(true);
    const cmds = recs.filter((x) => x.data?.['offset'] !== undefined && x.data?.['cmd'] !== 'NBD_CMD_READ');
    const zeroes = cmds.filter((x) => x.data?.['cmd'] === 'NBD_CMD_WRITE_ZEROES').length;
    const writes = cmds.filter((x) => x.data?.['cmd'] === 'NBD_CMD_WRITE');
    const fua = writes.filter((x) => (Number(x.data?.['flags']) & 1) === 1).length;
    // 400 writes: a quarter as zeroes (~100), half of the other ~300 with FUA (~150); wide bounds for the draw.
    expect(zeroes + writes.length).toBe(400);
    expect(zeroes).toBeGreaterThan(60);
    expect(zeroes).toBeLessThan(140);
    expect(fua).toBeGreaterThan(110);
    expect(fua).toBeLessThan(190);
    expect(r.expectations.find((e) => e.name === 'wire_commands.fua')!.actual).toBe(fua);
    expect(r.expectations.find((e) => e.name === 'wire_commands.write_zeroes')!.actual).toBe(zeroes);
    // Zeroed blocks count as a write of content 0 (the mutant server-zeroes-ignored fails fault-mix-wide on them).
    expect(r.expectations.find((e) => e.name === 'safety')!.ok).toBe(true);
  });

  it('fua and write_zeroes on a job that does not write are refused with their keys', () => {
    expect(() => parseScenario(`${NBD_BASE}\n[[job]]\nname = "r"\nrw = "randread"\nfua = true\n`, 'f.toml')).toThrow(/job\[0\]\.fua.*only applies to modes that write/);
    expect(() => parseScenario(`${NBD_BASE}\n[[job]]\nname = "r"\nrw = "trim"\nwrite_zeroes = 10\n`, 'z.toml')).toThrow(/write_zeroes.*only applies to modes that write/);
    expect(() => parseScenario(`${NBD_BASE}\n[[job]]\nname = "r"\nrw = "write"\nfua = 101\n`, 'p.toml')).toThrow(/fua/);
  });
});
