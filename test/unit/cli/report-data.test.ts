import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import type { RunResult } from '../../../scenarios/runner/types.ts';
import { ReportCollector } from '../../../tools/report/collect.ts';
import { reportData } from '../../../tools/report/data.ts';

let seq = 0;
const rec = (t: number, src: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ t, seq: seq++, src, kind, data });

/** One request: queued at `start`, sent on `conn`, done at the driver after `lat`, completed at `end`. */
function request(c: ReportCollector, rq: number, op: string, sectors: number, start: number, end: number, conn: number) {
  c.record(rec(start, 'client/blk/nbd0', 'rq.queue', { rq, op, sector: 0, sectors }));
  c.record(rec(start, 'nbd0', 'rq.send', { tag: rq, conn, len: op === 'flush' ? 0 : sectors * 512 }));
  c.record(rec(end, 'nbd0', 'rq.done', { tag: rq, errno: 0, lat: end - start }));
  c.record(rec(end, 'client/blk/nbd0', 'rq.complete', { rq, op, err: 0, start }));
}

const result = { scenario: 's', seed: 1, digest: 'd', virtualTimeNs: 200e6, events: 1, passed: true, expectations: [], jobs: [], faults: [], safetyViolations: [], livenessViolations: [], mgmt: [] } as RunResult;

describe('report data from trace records', () => {
  it('latency per op in time bins, IOPS without flushes, MB/s of data, per connection', () => {
    const c = new ReportCollector();
    // 200 ms run, 200 bins of 1 ms. In bin 10: two 4 KiB reads (100 µs and 300 µs), one flush (1 ms).
    request(c, 1, 'read', 8, 10_000_000, 10_100_000, 0);
    request(c, 2, 'read', 8, 10_200_000, 10_500_000, 1);
    request(c, 3, 'flush', 0, 9_600_000, 10_600_000, 0);
    const d = reportData(c, result, 'replay');
    expect(d.latency.tMs[10]).toBe(10.5);
    expect(d.latency.ops['read']!.p50[10]).toBe(100);
    expect(d.latency.ops['read']!.max[10]).toBe(300);
    expect(d.latency.ops['flush']!.max[10]).toBe(1000);
    expect(d.latency.ops['read']!.p50[11]).toBeNull();
    // 2 I/Os in 1 ms = 2000 IOPS (the flush is no I/O); 8192 bytes in 1 ms = 8.19 MB/s.
    expect([d.rate.iops[10], d.rate.mbps[10]]).toEqual([2000, 8.19]);
    expect(d.conns).toEqual([
      { name: 'nbd0/conn0', requests: 2, mb: 0, p50us: 100, p99us: 1000 },
      { name: 'nbd0/conn1', requests: 1, mb: 0, p50us: 300, p99us: 300 },
    ]);
    // The CDF of reads: half at or below 100 µs, all at or below 300 µs.
    const at = (us: number) => d.cdf.ops['read']![d.cdf.us.indexOf(us)];
    expect([at(100), at(300), at(1000)]).toEqual([0.5, 1, 1]);
  });

  it('state bands end where the next state starts; faults, heals and commands are marks', () => {
    const c = new ReportCollector();
    c.record(rec(0, 'nbd0', 'state', { value: 'connecting' }));
    c.record(rec(2e6, 'nbd0', 'state', { value: 'ready' }));
    c.record(rec(1e6, 'nbd0/conn0', 'state', { value: { handshake: 'options' } }));
    c.record(rec(5e6, 'runner', 'fault.partition', { action: 'partition', link: 'client<->a' }));
    c.record(rec(55e6, 'runner', 'fault.heal', { action: 'heal', what: 'heal client<->a' }));
    c.record(rec(100e6, 'runner', 'mgmt', { argv: 'nbd-connection-info' }));
    const d = reportData(c, result, 'replay');
    expect(d.states).toEqual([
      { machine: 'nbd0', spans: [{ startMs: 0, endMs: 2, state: 'connecting' }, { startMs: 2, endMs: 200, state: 'ready' }] },
      { machine: 'nbd0/conn0', spans: [{ startMs: 1, endMs: 200, state: 'handshake' }] },
    ]);
    expect(d.marks).toEqual([
      { atMs: 5, label: 'partition client<->a', kind: 'fault' },
      { atMs: 55, label: 'heal client<->a', kind: 'heal' },
      { atMs: 100, label: 'nbd-connection-info', kind: 'mgmt' },
    ]);
  });
});
