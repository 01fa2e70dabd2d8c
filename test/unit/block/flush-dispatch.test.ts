import { describe, expect, it } from 'vitest';
import { blkMqRequeue } from '../../../kernel/block/api.ts';
import type { Request } from '../../../kernel/block/request.ts';
import { REQ_OP, REQ_OP_NAMES } from '../../../kernel/block/types.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from './helpers.ts';

const CACHE = { writeCache: true, fua: true };

describe('blk-mq FLUSH dispatch (Linux: a FLUSH covers completed writes, it does not wait in the I/O scheduler)', () => {
  for (const scheduler of ['none', 'mq-deadline'] as const) {
    it(`after a BUSY a FLUSH submitted later reaches the driver before a write still in the scheduler (${scheduler})`, () => {
      const { engine, kernel } = makeKernel();
      const drv = new ManualDriver(() => engine.now);
      drv.busyNext = 1;
      const disk = addDisk(kernel, drv, { busyRetryNs: 50_000, limits: CACHE, scheduler });
      const res = new Map<string, BioResult>();
      submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096); // BUSY: back to the front of the dispatch list
      submit(disk, res, 'b', REQ_OP.WRITE, 800, 4096); // waits in the scheduler (the queue is stopped by BUSY)
      submit(disk, res, 'f', REQ_OP.FLUSH, 0, 0); // past the scheduler onto the dispatch list
      engine.runUntil(100_000);
      // a at 0 (BUSY); at the 50 µs retry the dispatch list goes first (a, then the FLUSH), then b
      expect(drv.seen.map((s) => `${s.op}@${s.sector}:${s.t / 1000}`)).toEqual(['write@0:0', 'write@0:50', 'flush@0:50', 'write@800:50']);
    });
  }

  it('onStarted reports each request the driver took (queue_rq OK), in its order, not one it refused with BUSY', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    drv.busyNext = 1;
    const disk = addDisk(kernel, drv, { busyRetryNs: 50_000, limits: CACHE });
    const started: string[] = [];
    disk.queue.onStarted = (rq: Request) => started.push(`${REQ_OP_NAMES[rq.op]}@${rq.sector}:${engine.now / 1000}`);
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096);
    submit(disk, res, 'f', REQ_OP.FLUSH, 0, 0);
    engine.runUntil(100_000);
    expect(started).toEqual(['write@0:50', 'flush@0:50']);
    // a requeued request is taken again: reported again (the checker keeps the first take)
    blkMqRequeue(drv.take(drv.held[0]!));
    engine.runUntil(200_000);
    expect(started).toEqual(['write@0:50', 'flush@0:50', 'write@0:100']);
  });
});
