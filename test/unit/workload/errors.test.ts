import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Kernel, createHostHardware } from '../../../kernel/core/kernel.ts';
import { BLK_STS } from '../../../kernel/block/types.ts';
import { Workload } from '../../../scenarios/workload/workload.ts';

function failingDisk() {
  const engine = new Engine({ seed: 1 });
  const kernel = new Kernel(engine, 'c', createHostHardware(engine, 'c', { cores: 1 }));
  const disk = kernel.block.addDisk({ name: 'bad0', capacitySectors: 2048, ops: { queueRq: () => BLK_STS.ERROR } });
  return { engine, kernel, disk };
}

describe('workload errors', () => {
  it('stops an instance at its first error by default (fio semantics)', () => {
    const { engine, kernel, disk } = failingDisk();
    const w = new Workload(kernel, disk, [{ name: 'j', rw: 'randread', bs: 4096, iodepth: 4, runtimeNs: 1_000_000_000 }]);
    w.start();
    engine.run();
    expect(w.done).toBe(true);
    const r = w.report().jobs[0]!.read;
    expect(r.errors).toBe(4); // the four I/Os in flight when the first failed
    expect(w.report().endNs).toBeLessThan(1_000_000);
  });

  it('with continueOnError reissues after the backoff until the runtime ends', () => {
    const { engine, kernel, disk } = failingDisk();
    const w = new Workload(kernel, disk, [
      { name: 'j', rw: 'randwrite', bs: 4096, iodepth: 2, runtimeNs: 10_000_000, continueOnError: true, errorBackoffNs: 1_000_000 },
    ]);
    w.start();
    engine.run();
    expect(w.done).toBe(true);
    const r = w.report().jobs[0]!.write;
    // each slot: one try per ~1 ms backoff (+ a few µs of completion path) during 10 ms
    expect(r.errors).toBeGreaterThanOrEqual(2 * 9);
    expect(r.errors).toBeLessThanOrEqual(2 * 11);
    expect(kernel.stats.num('block/bad0/write/errors')).toBe(r.errors);
  });
});

describe('job start', () => {
  it('startDelayNs delays a job relative to the workload start', () => {
    const engine = new Engine({ seed: 1 });
    const kernel = new Kernel(engine, 'c', createHostHardware(engine, 'c', { cores: 1 }));
    const disk = kernel.block.addDisk({ name: 'ok0', capacitySectors: 2048, ops: { queueRq: () => BLK_STS.ERROR } });
    const firstIssue = new Map<string, number>();
    const w = new Workload(kernel, disk, [
      { name: 'now', rw: 'read', bs: 512, ios: 1 },
      { name: 'later', rw: 'read', bs: 512, ios: 1, startDelayNs: 5_000 },
    ], { onOp: (o) => { if (!firstIssue.has(o.job)) firstIssue.set(o.job, o.issueNs); } });
    engine.runUntil(1_000);
    w.start();
    engine.run();
    expect(firstIssue.get('now')).toBe(1_000);
    expect(firstIssue.get('later')).toBe(6_000);
    expect(() => new Workload(kernel, disk, [{ name: 'x', rw: 'read', bs: 512, startDelayNs: -1 }])).toThrow(/job 'x': startDelayNs/);
  });
});
