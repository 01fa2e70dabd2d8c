import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blkMqComplete, blkMqRequeue } from '../../../kernel/block/api.ts';
import type { Request } from '../../../kernel/block/request.ts';
import { BLK_EH, BLK_STS, REQ_FUA, REQ_OP, REQ_PREFLUSH } from '../../../kernel/block/types.ts';
import { ETIMEDOUT } from '../../../kernel/lib/errno.ts';
import { addDisk, makeKernel, submit, type BioResult } from './helpers.ts';

/** What the driver does with each queueRq, drawn in order from the generated script. */
const ACTIONS = ['ok', 'ok', 'ok', 'busy', 'requeue', 'hang', 'error'] as const;

describe('blk-mq under a misbehaving driver (property)', () => {
  it('every bio ends exactly once; driver-held requests never exceed the depth', () => {
    fc.assert(
      fc.property(
        fc.record({
          depth: fc.integer({ min: 1, max: 4 }),
          deadline: fc.boolean(),
          cache: fc.boolean(),
          script: fc.array(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 40 }),
          ios: fc.array(fc.record({ at: fc.integer({ min: 0, max: 20_000 }), sector: fc.integer({ min: 0, max: 32 }), kind: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 30 }),
        }),
        ({ depth, deadline, cache, script, ios }) => {
          const { engine, kernel } = makeKernel(3, 2);
          let step = 0;
          let busyRun = 0;
          const held = new Set<Request>();
          let maxHeld = 0;
          const disk = addDisk(kernel, {
            queueRq(_h, rq) {
              let a: (typeof ACTIONS)[number] = script[step++ % script.length]!;
              // A driver that refuses or bounces forever would never finish: bound both.
              if (a === 'busy' && busyRun >= 3) a = 'ok';
              if (a === 'requeue' && rq.requeues >= 2) a = 'ok';
              busyRun = a === 'busy' ? busyRun + 1 : 0;
              if (a === 'busy') return BLK_STS.BUSY;
              if (a === 'error') return BLK_STS.ERROR;
              held.add(rq);
              maxHeld = Math.max(maxHeld, held.size);
              const gen = rq.gen;
              if (a !== 'hang') {
                engine.schedule(500 + (rq.sector % 7) * 100, () => {
                  if (rq.gen !== gen || !held.has(rq)) return;
                  held.delete(rq);
                  if (a === 'requeue') blkMqRequeue(rq);
                  else blkMqComplete(rq, 0);
                });
              }
              return BLK_STS.OK;
            },
            timeout(rq) {
              held.delete(rq);
              return BLK_EH.DONE; // blk-mq fails it with ETIMEDOUT
            },
          }, { queueDepth: depth, scheduler: deadline ? 'mq-deadline' : 'none', timeoutNs: 1_000_000, busyRetryNs: 2_000, limits: { writeCache: cache } });
          const res = new Map<string, BioResult>();
          ios.forEach((io, i) => {
            engine.scheduleAt(io.at, () => {
              const op = io.kind === 3 ? REQ_OP.FLUSH : io.kind === 0 ? REQ_OP.READ : REQ_OP.WRITE;
              const flags = io.kind === 2 ? REQ_PREFLUSH | REQ_FUA : 0;
              submit(disk, res, `b${i}`, op, io.sector * 8, op === REQ_OP.FLUSH ? 0 : 4096, flags);
            });
          });
          engine.runUntil(50_000_000);
          expect(res.size).toBe(ios.length); // ended once each (submit() throws on a second end)
          for (const r of res.values()) expect([0, 5, ETIMEDOUT]).toContain(r.status);
          expect(maxHeld).toBeLessThanOrEqual(depth);
          expect(disk.queue.inflight).toBe(0);
          expect(disk.queue.queued).toBe(0);
          for (const h of disk.queue.hctxs) expect(h.tagsInUse).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
