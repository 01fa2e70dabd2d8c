import { describe, expect, it } from 'vitest';
import { blkMqComplete, blkMqEndRequest, blkMqKick } from '../../../kernel/block/api.ts';
import { BLK_STS, REQ_OP } from '../../../kernel/block/types.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from './helpers.ts';

describe('request stages', () => {
  it('publishes hop-by-hop latency per op in the stats tree and stamps the trace', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    const disk = addDisk(kernel, drv, { queueDepth: 1, busyRetryNs: 40_000 });
    const res = new Map<string, BioResult>();
    const recs: Array<{ kind: string; data: Record<string, unknown> }> = [];
    engine.trace.subscribe((r) => {
      if (r.kind.startsWith('rq.')) recs.push({ kind: r.kind, data: r.data as Record<string, unknown> });
    });
    submit(disk, res, 'a', REQ_OP.READ, 0, 4096); // issued at 0
    submit(disk, res, 'b', REQ_OP.READ, 80, 4096); // waits for the only tag
    engine.runUntil(10_000);
    drv.busyNext = 1; // b's first issue (at 10 µs) is refused; retried 40 µs later
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.runUntil(100_000);
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.run();
    expect(res.size).toBe(2);
    const b = drv.seen.filter((s) => s.sector === 80).map((s) => s.t);
    expect(b).toHaveLength(2);
    const [firstTry, issued] = b as [number, number];
    expect(issued - firstTry).toBe(40_000);
    const s = kernel.stats;
    // b: submitted at 0, allocated when a completes (firstTry), dispatched then, issued 40 µs later,
    // completed at 100 µs
    expect(s.num('block/vda/latency/read/alloc/max')).toBe(firstTry);
    expect(s.num('block/vda/latency/read/dispatch/max')).toBe(40_000);
    expect(s.num('block/vda/latency/read/service/max')).toBe(100_000 - issued);
    expect(s.num('block/vda/latency/read/total/count')).toBe(2);
    expect(s.num('block/vda/latency/read/total/max')).toBe(100_000);
    expect(s.num('block/vda/read/ios')).toBe(2);
    expect(s.num('block/vda/read/bytes')).toBe(8192);
    expect(s.list('block/vda/latency/read/total')).toHaveLength(8);
    const kinds = recs.filter((r) => r.data['rq'] === recs.find((x) => x.kind === 'rq.busy')!.data['rq']).map((r) => r.kind);
    expect(kinds).toEqual(['rq.queue', 'rq.dispatch', 'rq.issue', 'rq.busy', 'rq.issue', 'rq.complete']);
  });
});

describe('queue control', () => {
  it('timeoutNs 0 turns request timeouts off', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { timeoutNs: 0 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.READ, 0, 4096);
    engine.runUntil(100_000_000_000);
    expect(res.size).toBe(0);
    expect(kernel.stats.num('block/vda/timeouts')).toBe(0);
  });

  it('stopped hardware queues hold requests until started; a kick re-runs a queue', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv);
    const res = new Map<string, BioResult>();
    disk.queue.stopHwQueues();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096);
    engine.run();
    expect(drv.seen).toHaveLength(0);
    expect(kernel.stats.num('block/vda/queued')).toBe(1);
    disk.queue.startHwQueues();
    engine.runUntil(1_000); // not run(): that would reach the 30 s request timeout
    expect(drv.seen).toHaveLength(1);
    expect(kernel.stats.num('block/vda/inflight')).toBe(1);
    // a driver that said BUSY can ask for a re-run when its resource frees
    drv.onQueue = () => BLK_STS.BUSY;
    submit(disk, res, 'b', REQ_OP.WRITE, 100, 4096);
    drv.onQueue = null;
    blkMqKick(disk.queue.hctxs[0]!);
    engine.runUntil(engine.now + 1);
    expect(drv.held.map((r) => r.sector)).toEqual([0, 100]);
  });

  it('rejects bad bios with an errno and never reaches the driver', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { capacitySectors: 64 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'beyond', REQ_OP.READ, 60, 4096);
    submit(disk, res, 'odd', REQ_OP.READ, 0, 100);
    submit(disk, res, 'discard', REQ_OP.DISCARD, 0, 4096);
    engine.run();
    expect(res.get('beyond')?.status).toBe(5); // EIO
    expect(res.get('odd')?.status).toBe(22); // EINVAL
    expect(res.get('discard')?.status).toBe(95); // EOPNOTSUPP
    expect(drv.seen).toHaveLength(0);
  });
});

describe('software to hardware queue mapping and plugs', () => {
  it('maps each CPU to hardware queue cpu mod nr_hw_queues and counts bios per CPU', () => {
    const { kernel } = makeKernel(1, 4);
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { nrHwQueues: 2 });
    const res = new Map<string, BioResult>();
    for (let cpu = 0; cpu < 4; cpu++) submit(disk, res, `c${cpu}`, REQ_OP.READ, cpu * 100, 4096, 0, { cpu });
    expect(drv.seen.map((s) => s.hctx)).toEqual([0, 1, 0, 1]);
    expect(kernel.stats.num('block/vda/cpu/3/submitted')).toBe(1);
    expect(() => submit(disk, res, 'x', REQ_OP.READ, 0, 4096, 0, { cpu: 4 })).toThrow(/cpu 4/);
  });

  it('a plug that holds every tag is flushed when the next bio must wait', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    drv.onQueue = (rq) => {
      engine.schedule(1_000, () => blkMqComplete(rq, 0));
      return BLK_STS.OK;
    };
    const disk = addDisk(kernel, drv, { queueDepth: 2 });
    const res = new Map<string, BioResult>();
    const plug = disk.startPlug();
    for (let i = 0; i < 5; i++) submit(disk, res, `b${i}`, REQ_OP.READ, i * 100, 4096, 0, { plug });
    expect(drv.seen).toHaveLength(2); // the third bio found no tag: the plug went out
    disk.finishPlug(plug);
    engine.run();
    expect(res.size).toBe(5);
  });
});

describe('disk removal', () => {
  it('fails queued requests, parked bios and new bios with ENXIO; the driver ends what it holds', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { queueDepth: 1, scheduler: 'mq-deadline', nrRequests: 2 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'held', REQ_OP.READ, 0, 4096); // with the driver
    submit(disk, res, 'queued', REQ_OP.READ, 100, 4096); // in the scheduler
    submit(disk, res, 'parked', REQ_OP.READ, 200, 4096); // no request left: waits
    submit(disk, res, 'parked2', REQ_OP.READ, 300, 4096);
    kernel.block.delDisk('vda');
    submit(disk, res, 'late', REQ_OP.READ, 0, 4096);
    engine.runUntil(1_000_000);
    expect(res.get('queued')?.status).toBe(6);
    expect(res.get('parked')?.status).toBe(6);
    expect(res.get('parked2')?.status).toBe(6);
    expect(res.get('late')?.status).toBe(6);
    expect(res.has('held')).toBe(false);
    blkMqComplete(drv.take(drv.held[0]!), 5);
    engine.runUntil(2_000_000);
    expect(res.get('held')?.status).toBe(5);
    expect(kernel.block.listDisks()).toEqual([]);
    expect(kernel.stats.list('block/vda')).toEqual([]);
  });
});

describe('ending a request at once', () => {
  it('blkMqEndRequest ends without the softirq hop; a second call is a harmless stale call', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv);
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.READ, 0, 4096);
    const rq = drv.take(drv.held[0]!);
    expect(blkMqEndRequest(rq, 5)).toBe(true);
    expect(res.get('a')?.status).toBe(5); // synchronously
    expect(blkMqEndRequest(rq, 0)).toBe(false);
    expect(kernel.stats.num('block/vda/stale_completions')).toBe(1);
    engine.run();
  });
});
