import { describe, expect, it } from 'vitest';
import { blkMqComplete } from '../../../kernel/block/api.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from './helpers.ts';

const MS = 1_000_000;

/** Depth-1 disk under mq-deadline: one request with the driver, the rest wait in the scheduler. */
function setup(fifoBatch: number) {
  const { engine, kernel } = makeKernel();
  const drv = new ManualDriver(() => engine.now);
  const disk = addDisk(kernel, drv, { queueDepth: 1, nrRequests: 64, scheduler: 'mq-deadline', deadline: { fifoBatch, readExpireNs: 500 * MS } });
  const res = new Map<string, BioResult>();
  /** Completes the held request and returns the sector of the one dispatched next. */
  const next = (): number => {
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.runUntil(engine.now + 10_000);
    return drv.held[0]!.sector;
  };
  return { engine, disk, res, next };
}

describe('mq-deadline', () => {
  it('serves requests in sector order from the last position while none has expired', () => {
    const { engine, disk, res, next } = setup(1);
    submit(disk, res, 'busy', REQ_OP.READ, 9000, 4096); // dispatched at once, holds the tag
    submit(disk, res, 'old', REQ_OP.READ, 5000, 4096);
    engine.runUntil(100 * MS); // well inside read_expire
    submit(disk, res, 'a', REQ_OP.READ, 9200, 4096);
    submit(disk, res, 'b', REQ_OP.READ, 9100, 4096);
    expect(next()).toBe(9100);
    expect(next()).toBe(9200);
    expect(next()).toBe(5000);
  });

  it('dispatches an expired request before the sorted ones', () => {
    const { engine, disk, res, next } = setup(1);
    submit(disk, res, 'busy', REQ_OP.READ, 9000, 4096);
    submit(disk, res, 'old', REQ_OP.READ, 5000, 4096); // expires at 500 ms
    engine.runUntil(600 * MS);
    submit(disk, res, 'a', REQ_OP.READ, 9200, 4096);
    submit(disk, res, 'b', REQ_OP.READ, 9100, 4096);
    expect(next()).toBe(5000);
    expect(next()).toBe(9100);
    expect(next()).toBe(9200);
    expect(disk.queue.hctxs[0]!.sched.name).toBe('mq-deadline');
  });

  it('finishes the current batch (fifo_batch) before turning to an expired request', () => {
    const { engine, disk, res, next } = setup(3);
    submit(disk, res, 'busy', REQ_OP.READ, 9000, 4096);
    submit(disk, res, 'old', REQ_OP.READ, 5000, 4096);
    engine.runUntil(600 * MS);
    for (const s of [9100, 9200, 9300, 9400]) submit(disk, res, `s${s}`, REQ_OP.READ, s, 4096);
    // batch started with 9000: two more in sector order, then the expired one
    expect([next(), next(), next(), next()]).toEqual([9100, 9200, 5000, 9300]);
  });

  it('prefers reads but does not starve writes past writes_starved', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { queueDepth: 1, nrRequests: 64, scheduler: 'mq-deadline', deadline: { fifoBatch: 1, writesStarved: 2 } });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'busy', REQ_OP.READ, 0, 4096);
    submit(disk, res, 'w', REQ_OP.WRITE, 100, 4096);
    for (let i = 1; i <= 4; i++) submit(disk, res, `r${i}`, REQ_OP.READ, 1000 * i, 4096);
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      blkMqComplete(drv.take(drv.held[0]!), 0);
      engine.run();
      const rq = drv.held[0]!;
      order.push(`${rq.op === REQ_OP.WRITE ? 'w' : 'r'}${rq.sector}`);
    }
    expect(order).toEqual(['r1000', 'r2000', 'w100', 'r3000', 'r4000']);
  });
});
