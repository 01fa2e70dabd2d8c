// The cache in whole runs (the real driver, kernel, TCP and server): on vs off, write-back
// coalescing and FLUSH ordering, FUA through, management commands.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { NBD_CMD_FLUSH, NBD_CMD_WRITE } from '../../../drivers/nbd/protocol/uapi.ts';

const base = (nbd: string, job: string): string => `
[scenario]
name = "cache-run"
[machine]
cores = 2
[[server]]
name = "a"
disk = "nvme"
[[server.export]]
name = "disk0"
size = "16MiB"
prefill = "pattern"
[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "20us"
[nbd]
connection_pool_size = 1
${nbd}
[[job]]
name = "j"
${job}
[expect]
safety = true
`;

const HOT_READ = 'rw = "randread"\nbs = "4KiB"\niodepth = 4\nsize = "256KiB"\nios = 1000';

describe('the cache in whole runs', () => {
  it('cache on vs off: different digests, hits only with the cache, and hits are faster than the wire', () => {
    const on = runScenario(parseScenario(base('', HOT_READ), 'on.toml'), 1);
    const off = runScenario(parseScenario(base('local_cache_size = 0\nread_ahead_size = 0', HOT_READ), 'off.toml'), 1);
    expect(on.passed && off.passed).toBe(true);
    expect(on.digest).not.toBe(off.digest);
    expect(off.devices![0]!.cache).toBeUndefined();
    // 64 blocks of 4 KiB: at most 64 first-touch misses of 1000 reads.
    expect(on.devices![0]!.cache!.misses).toBeLessThanOrEqual(64);
    expect(on.devices![0]!.cache!.hits + on.devices![0]!.cache!.misses).toBe(1000);
    // A hit costs a lookup (100 ns) and a 4 KiB copy (410 ns) on the CPU; a miss at least two 20 µs link crossings.
    expect(on.devices![0]!.cache!.hitLatency.p50).toBeGreaterThanOrEqual(510);
    expect(on.devices![0]!.cache!.hitLatency.p50).toBeLessThan(40_000);
    expect(on.jobs[0]!.latency.read!.percentiles.p50!).toBeLessThan(off.jobs[0]!.latency.read!.percentiles.p50!);
  });

  it('write-back: 64 sequential 4 KiB writes then a FLUSH: two 128 KiB write-backs, both answered before the NBD FLUSH is sent', () => {
    const recs: TraceRecord[] = [];
    const s = parseScenario(base('write_back_cache = true\nwrite_back_cache_size = "4MiB"\nlocal_cache_size = "16MiB"',
      'rw = "write"\nbs = "4KiB"\niodepth = 1\nsize = "256KiB"\nios = 64\nfsync = 64\nverify = true'), 'wb.toml');
    const r = runScenario(s, 1, { onTrace: (t) => { if (t.src === 'nbd0' && (t.kind === 'rq.send' || t.kind === 'cache.done')) recs.push(t); } });
    expect(r.passed).toBe(true);
    const sends = recs.filter((t) => t.kind === 'rq.send').map((t) => t.data as { cmd: number; off: number; len: number; tag: number });
    // Every block write was absorbed: the only WRITEs on the wire are the cache's own.
    const writes = sends.filter((d) => d.cmd === NBD_CMD_WRITE);
    expect(writes.map((d) => [d.off, d.len])).toEqual([[0, 131072], [131072, 131072]]);
    const flushAt = recs.findIndex((t) => t.kind === 'rq.send' && (t.data as { cmd: number }).cmd === NBD_CMD_FLUSH);
    const answered = recs.slice(0, flushAt).filter((t) => t.kind === 'cache.done' && (t.data as { cmd: number }).cmd === NBD_CMD_WRITE);
    expect(flushAt).toBeGreaterThan(0);
    expect(answered.length).toBe(2);
    expect(r.devices![0]!.cache!.absorbedWrites).toBe(64);
    expect(r.devices![0]!.cache!.writeBackBytes).toBe(256 * 1024);
  });

  it('write-back: FUA writes go through to the server (durable when acknowledged), none is absorbed', () => {
    const s = parseScenario(base('write_back_cache = true\nwrite_back_cache_size = "4MiB"\nlocal_cache_size = "16MiB"',
      'rw = "randwrite"\nbs = "4KiB"\niodepth = 4\nsize = "1MiB"\nios = 100\nfua = true\nverify = true'), 'fua.toml');
    const r = runScenario(s, 1);
    expect(r.passed).toBe(true);
    expect(r.devices![0]!.cache!.absorbedWrites).toBe(0);
    expect(r.devices![0]!.cache!.writeBackBytes).toBe(0);
  });
});

describe('nbd-cache-flush', () => {
  it('writes back every dirty byte, then an NBD FLUSH; reports the bytes', () => {
    const recs: TraceRecord[] = [];
    // 32 sequential 4 KiB writes (128 KiB dirty) start at 1 ms; the command at 2 ms comes before
    // the 5 ms age write-back, so it finds all 128 KiB dirty; at 4 ms nothing is dirty any more.
    const s = parseScenario(`${base('write_back_cache = true\nwrite_back_cache_size = "4MiB"\nlocal_cache_size = "16MiB"',
      'rw = "write"\nbs = "4KiB"\niodepth = 1\nsize = "128KiB"\nios = 32\nstart = "1ms"')}
[[at]]
time = "2ms"
action = "mgmt"
command = "nbd-cache-flush"

[[at]]
time = "4ms"
action = "mgmt"
command = "nbd-cache-info"
`, 'flush.toml');
    const r = runScenario(s, 1, { onTrace: (t) => { if (t.src === 'nbd0' && t.kind === 'rq.send') recs.push(t); } });
    expect(r.passed).toBe(true);
    expect(r.mgmt[0]!.data).toMatchObject({ mode: 'write-back', writeBackBytes: 131072 });
    const cmds = recs.map((t) => (t.data as { cmd: number; len: number }));
    // One 128 KiB write-back, then the FLUSH.
    expect(cmds.map((d) => [d.cmd, d.len])).toEqual([[NBD_CMD_WRITE, 131072], [NBD_CMD_FLUSH, 0]]);
    expect(r.mgmt[1]!.data).toMatchObject({ dirty_bytes: 0 });
  });
});
