import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blkMqComplete, blkMqRequeue } from '../../../kernel/block/api.ts';
import type { Request } from '../../../kernel/block/request.ts';
import { BLK_EH, BLK_STS, REQ_FUA, REQ_OP, REQ_PREFLUSH } from '../../../kernel/block/types.ts';
import { ETIMEDOUT, EIO } from '../../../kernel/lib/errno.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from './helpers.ts';

describe('blk-mq tags', () => {
  it('never hands the driver more requests than the queue depth, and every bio ends once (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          depth: fc.integer({ min: 1, max: 6 }),
          hwq: fc.integer({ min: 1, max: 3 }),
          deadline: fc.boolean(),
          ios: fc.array(
            fc.record({ at: fc.integer({ min: 0, max: 50_000 }), sector: fc.integer({ min: 0, max: 64 }), cpu: fc.integer({ min: 0, max: 3 }), write: fc.boolean() }),
            { minLength: 1, maxLength: 60 },
          ),
        }),
        ({ depth, hwq, deadline, ios }) => {
          const { engine, kernel } = makeKernel(7, 4);
          const held = new Map<number, Set<number>>(); // hctx → tags the driver holds
          let violation = '';
          const disk = addDisk(kernel, {
            queueRq(h, rq) {
              const tags = held.get(h.index) ?? new Set<number>();
              held.set(h.index, tags);
              if (rq.tag < 0 || rq.tag >= depth) violation = `tag ${rq.tag} outside [0, ${depth})`;
              if (tags.has(rq.tag)) violation = `tag ${rq.tag} issued twice`;
              tags.add(rq.tag);
              if (tags.size > depth) violation = `${tags.size} in flight > depth ${depth}`;
              const gen = rq.gen;
              engine.schedule(1 + ((rq.sector * 37 + rq.id * 101) % 20_000), () => {
                if (rq.gen !== gen) return;
                tags.delete(rq.tag);
                blkMqComplete(rq, 0);
              });
              return BLK_STS.OK;
            },
          }, { queueDepth: depth, nrHwQueues: hwq, scheduler: deadline ? 'mq-deadline' : 'none' });
          const res = new Map<string, BioResult>();
          ios.forEach((io, i) => {
            engine.scheduleAt(io.at, () => {
              submit(disk, res, `b${i}`, io.write ? REQ_OP.WRITE : REQ_OP.READ, io.sector * 8, 4096, 0, { cpu: io.cpu });
            });
          });
          engine.run();
          expect(violation).toBe('');
          expect(res.size).toBe(ios.length);
          for (const r of res.values()) expect(r.status).toBe(0);
          for (const h of disk.queue.hctxs) expect(h.maxTagsInUse).toBeLessThanOrEqual(depth);
          expect(disk.queue.inflight).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('parks bios when every tag is taken and starts them as tags free', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { queueDepth: 2 });
    const res = new Map<string, BioResult>();
    for (let i = 0; i < 5; i++) submit(disk, res, `b${i}`, REQ_OP.READ, i * 100, 4096);
    expect(drv.held).toHaveLength(2);
    expect(kernel.stats.num('block/vda/hctx/0/waiting_bios')).toBe(3);
    while (drv.held.length > 0) {
      blkMqComplete(drv.take(drv.held[0]!), 0);
      engine.run();
    }
    expect(res.size).toBe(5);
    expect(kernel.stats.num('block/vda/hctx/0/max_tags_in_use')).toBe(2);
  });
});

describe('request ids', () => {
  it('are unique over every queue of a kernel (a trace joins one request by id alone, several devices too)', () => {
    const { engine, kernel } = makeKernel();
    const a = new ManualDriver();
    const b = new ManualDriver();
    const vda = addDisk(kernel, a);
    const vdb = addDisk(kernel, b, { name: 'vdb' });
    const res = new Map<string, BioResult>();
    // Interleaved: vda, vdb, vda, vdb: the ids count 1, 2, 3, 4 over both queues.
    for (let i = 0; i < 4; i++) submit(i % 2 === 0 ? vda : vdb, res, `b${i}`, REQ_OP.READ, i * 100, 4096);
    engine.run();
    expect([a.seen.map((x) => x.id), b.seen.map((x) => x.id)]).toEqual([[1, 3], [2, 4]]);
  });
});

describe('blk-mq BUSY', () => {
  it('requeues on BUSY and retries after the busy delay when nothing completes', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    drv.busyNext = 2;
    const disk = addDisk(kernel, drv, { busyRetryNs: 50_000 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096);
    engine.runUntil(200_000);
    // tried at 0 (BUSY), 50 µs (BUSY), 100 µs (OK)
    expect(drv.seen.map((s) => s.t)).toEqual([0, 50_000, 100_000]);
    expect(drv.held).toHaveLength(1);
    expect(kernel.stats.num('block/vda/busy')).toBe(2);
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.run();
    expect(res.get('a')?.status).toBe(0);
  });

  it('retries a BUSY request as soon as another request completes', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    const disk = addDisk(kernel, drv, { busyRetryNs: 10_000_000 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096);
    drv.busyNext = 1;
    submit(disk, res, 'b', REQ_OP.WRITE, 100, 4096);
    expect(drv.held).toHaveLength(1);
    engine.runUntil(1_000);
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.runUntil(100_000);
    expect(drv.held.map((r) => r.sector)).toEqual([100]);
    expect(drv.seen.at(-1)!.t).toBeLessThan(100_000);
  });
});

describe('blk-mq timeouts', () => {
  it('fails a timed-out request with ETIMEDOUT when the driver returns DONE and does nothing', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    drv.onTimeout = () => BLK_EH.DONE;
    const disk = addDisk(kernel, drv, { timeoutNs: 1_000_000 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.READ, 0, 4096);
    engine.run();
    expect(res.get('a')?.status).toBe(ETIMEDOUT);
    expect(res.get('a')!.doneNs).toBeGreaterThanOrEqual(1_000_000);
    expect(kernel.stats.num('block/vda/timeouts')).toBe(1);
    // a late reply from the device is ignored
    expect(blkMqComplete(drv.held[0]!, 0)).toBe(false);
    expect(kernel.stats.num('block/vda/stale_completions')).toBe(1);
  });

  it('re-arms on RESET_TIMER, then requeues as the driver decides, and the re-issue completes', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver(() => engine.now);
    let calls = 0;
    drv.onTimeout = (rq: Request) => {
      calls++;
      if (calls === 1) return BLK_EH.RESET_TIMER;
      drv.take(rq);
      blkMqRequeue(rq);
      return BLK_EH.DONE;
    };
    drv.onQueue = (rq) => {
      if (rq.gen === 2) {
        engine.schedule(10, () => blkMqComplete(rq, 0));
        return BLK_STS.OK;
      }
      return undefined;
    };
    const disk = addDisk(kernel, drv, { timeoutNs: 1_000_000 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.READ, 0, 4096);
    engine.run();
    expect(calls).toBe(2);
    expect(drv.seen.map((s) => [s.gen, s.t])).toEqual([[1, 0], [2, 2_000_000]]);
    expect(drv.seen[0]!.tag).toBe(drv.seen[1]!.tag);
    expect(res.get('a')?.status).toBe(0);
    expect(kernel.stats.num('block/vda/requeues')).toBe(1);
  });

  it('fails with the errno the driver completes with in its timeout handler', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    drv.onTimeout = (rq) => {
      blkMqComplete(drv.take(rq), EIO);
      return BLK_EH.DONE;
    };
    const disk = addDisk(kernel, drv, { timeoutNs: 5_000 });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 4096);
    engine.run();
    expect(res.get('a')?.status).toBe(EIO);
  });
});

describe('FUA and PREFLUSH', () => {
  const F = REQ_PREFLUSH | REQ_FUA;

  function run(limits: { writeCache: boolean; fua: boolean }, op: 0 | 1 | 2, flags: number): { seen: string[]; status: number | undefined } {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    drv.onQueue = (rq) => {
      engine.schedule(100, () => blkMqComplete(rq, 0));
      return BLK_STS.OK;
    };
    const disk = addDisk(kernel, drv, { limits });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'x', op, 0, op === REQ_OP.FLUSH ? 0 : 4096, flags);
    engine.run();
    const seen = drv.seen.map((s) => `${s.op}${s.flags & REQ_FUA ? '+fua' : ''}${s.flags & REQ_PREFLUSH ? '+preflush' : ''}`);
    return { seen, status: res.get('x')?.status };
  }

  it('volatile cache with FUA support: flush, then the write carrying FUA', () => {
    expect(run({ writeCache: true, fua: true }, REQ_OP.WRITE, F)).toEqual({ seen: ['flush', 'write+fua'], status: 0 });
  });

  it('volatile cache without FUA: flush, write, then a post-flush emulates FUA', () => {
    expect(run({ writeCache: true, fua: false }, REQ_OP.WRITE, F)).toEqual({ seen: ['flush', 'write', 'flush'], status: 0 });
    expect(run({ writeCache: true, fua: false }, REQ_OP.WRITE, REQ_FUA)).toEqual({ seen: ['write', 'flush'], status: 0 });
  });

  it('no volatile cache: both flags are dropped and empty flushes never reach the driver', () => {
    expect(run({ writeCache: false, fua: false }, REQ_OP.WRITE, F)).toEqual({ seen: ['write'], status: 0 });
    expect(run({ writeCache: false, fua: true }, REQ_OP.FLUSH, REQ_PREFLUSH)).toEqual({ seen: [], status: 0 });
    expect(run({ writeCache: true, fua: true }, REQ_OP.FLUSH, REQ_PREFLUSH)).toEqual({ seen: ['flush'], status: 0 });
  });

  it('a failed preflush fails the write without sending it', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    drv.onQueue = (rq) => {
      engine.schedule(100, () => blkMqComplete(rq, rq.op === REQ_OP.FLUSH ? EIO : 0));
      return BLK_STS.OK;
    };
    const disk = addDisk(kernel, drv, { limits: { writeCache: true, fua: true } });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'x', REQ_OP.WRITE, 0, 4096, REQ_PREFLUSH);
    engine.run();
    expect(drv.seen.map((s) => s.op)).toEqual(['flush']);
    expect(res.get('x')?.status).toBe(EIO);
  });
});
