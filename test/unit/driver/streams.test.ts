import { describe, expect, it } from 'vitest';
import { REQ_OP } from '../../../kernel/block/types.ts';
import type { ErrorRecord } from '../../../drivers/nbd/managers/error-handler.ts';
import type { PerfSnapshot } from '../../../drivers/nbd/managers/performance-monitor.ts';
import { config, rig } from './harness.ts';
import { BS, VerifyWorkload } from './workload.ts';

const MS = 1_000_000;
const cfg = config({
  connectionPoolSize: 2, connectionMaxCount: 4, connectionTimeoutNs: 50 * MS,
  reconnect: { baseNs: 10 * MS, capNs: 80 * MS, jitter: 0.2 },
  servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' }],
});

describe('manager streams', () => {
  it('metrics$ ticks once per window of virtual time and counts what completed', () => {
    const r = rig(71, cfg, (n) => n.addServer('srv', { size: 1 << 22 }));
    const snaps: PerfSnapshot[] = [];
    const sub = r.dev.perf.metrics$.subscribe((s) => snaps.push(s));
    r.engine.runUntil(10 * MS);
    for (let i = 0; i < 5; i++) r.blk.submit(REQ_OP.READ, i * BS, BS, new Uint8Array(BS));
    r.engine.runUntil(3500 * MS);
    sub.unsubscribe();
    expect(snaps.map((s) => s.t)).toEqual([1000 * MS, 2000 * MS, 3000 * MS]);
    expect(snaps[0]!.ops.read.count).toBe(5);
    expect(snaps[0]!.connects).toBe(2);
    // The 5 reads finished in the first second: that window saw 5 ops, the next one none.
    expect(snaps[0]!.readWindow.ops).toBe(5);
    expect(snaps[1]!.readWindow.ops).toBe(0);
  });

  it('errors$ reports as things happen; every request is one load-balancer decision', () => {
    // Every request is one load-balancer decision only without a local cache (hits need none).
    const r = rig(72, { ...cfg, localCacheBytes: 0 }, (n) => n.addServer('srv', { size: 1 << 22 }));
    const phases: string[] = [];
    const errors: ErrorRecord[] = [];
    r.dev.errors.errors$.subscribe((e) => errors.push(e));
    r.engine.runUntil(10 * MS);
    const before = r.dev.lb.decisionsMade;
    const w = new VerifyWorkload(r, 64, 8, 200);
    w.start();
    r.engine.runUntil(r.engine.now + 100_000);
    r.net.rst('srv', 1);
    // Connection 1's phases, sampled every 10 µs of virtual time.
    for (const end = r.engine.now + 200 * MS; r.engine.now < end;) {
      r.engine.runUntil(r.engine.now + 10_000);
      const p = r.dev.conns.slots[1]!.phase;
      if (phases.at(-1) !== p) phases.push(p);
    }
    expect(w.res.completed).toBe(200);
    expect(r.dev.lb.decisionsMade - before).toBeGreaterThanOrEqual(200);
    expect(phases).toEqual(expect.arrayContaining(['connect', 'handshake', 'transmission', 'backoff']));
    expect(phases.at(-1)).toBe('transmission');
    expect(errors.some((e) => e.class === 'transport' && e.conn === 1)).toBe(true);
  });
});

describe('the managers are wired by their streams', () => {
  it('completions reach the performance monitor and the balancer latency estimate', () => {
    const r = rig(73, { ...cfg, localCacheBytes: 0 }, (n) => n.addServer('srv', { size: 1 << 22 }));
    r.engine.runUntil(10 * MS);
    for (let i = 0; i < 4; i++) r.blk.submit(REQ_OP.READ, i * BS, BS, new Uint8Array(BS));
    r.engine.runUntil(r.engine.now + 10 * MS);
    expect(r.dev.perf.byOp[REQ_OP.READ]!.count).toBe(4);
    // Two connections, round robin: each answered two reads, so each has a latency estimate.
    expect(r.dev.lb.latency.filter((ns) => ns > 0)).toHaveLength(2);
  });

  it('the error handler decides what happens to a lost connection\'s requests, and the device does it', () => {
    const run = (policy: 'default' | 'fail'): { errnos: number[]; requeued: number } => {
      const r = rig(74, { ...cfg, localCacheBytes: 0 }, (n) => n.addServer('srv', { size: 1 << 22 }));
      if (policy === 'fail') {
        const decide = r.dev.errors.actionFor.bind(r.dev.errors);
        r.dev.errors.actionFor = (f) => (f.class === 'transport' ? 'fail-request' : decide(f));
      }
      r.engine.runUntil(10 * MS);
      const ids = [];
      for (let i = 0; i < 8; i++) ids.push(r.blk.submit(REQ_OP.READ, i * BS, BS, new Uint8Array(BS))!);
      r.net.rst('srv', 1); // conn1 dies with its reads in flight
      r.engine.runUntil(r.engine.now + 500 * MS);
      return { errnos: ids.map((id) => r.blk.done.get(id)!), requeued: r.dev.errors.requeued };
    };
    const requeue = run('default');
    expect(requeue.errnos.every((e) => e === 0)).toBe(true);
    expect(requeue.requeued).toBeGreaterThan(0);
    // Same run, the handler deciding 'fail-request' instead: those reads fail with EIO (5).
    const fail = run('fail');
    expect(fail.requeued).toBe(0);
    expect(fail.errnos.filter((e) => e === 5)).toHaveLength(requeue.requeued);
    expect(fail.errnos.filter((e) => e === 0)).toHaveLength(8 - requeue.requeued);
  });
});
