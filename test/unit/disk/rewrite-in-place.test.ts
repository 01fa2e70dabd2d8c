// Whole pages written over dirty ones go where those pages live (found by number, not through
// the page objects): against a plain byte model of cache and media, through flushes, zeroes,
// trims and crashes that move, free and reuse pages.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';

const model: ServiceTimeModel = {
  name: 't', latencyNs: { read: 1000, write: 1000, flush: 1000, trim: 100, zero: 100, status: 100 },
  bandwidth: 1e9, queueDepth: 4, jitter: 0,
};
const PS = 4096;
const SIZE = 48 * PS;

/** A seeded LCG: the test's own random sequence. */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

describe('writes over dirty pages', () => {
  for (const seed of [1, 2, 3]) {
    it(`match a byte model of cache and media (seed ${seed})`, () => {
      const engine = new Engine({ seed: 1, trace: false });
      const disk = new VirtualDisk(engine, { name: 'd', size: SIZE, model, pageSize: PS });
      const current = new Uint8Array(SIZE);
      const durable = new Uint8Array(SIZE);
      const rnd = lcg(seed);
      for (let step = 0; step < 400; step++) {
        const op = rnd(20);
        if (op < 13) {
          // Mostly whole, page-aligned runs over a few hot pages, so pages are rewritten often.
          const aligned = rnd(4) !== 0;
          const len = aligned ? PS * (1 + rnd(6)) : 1 + rnd(3 * PS);
          const off = aligned ? PS * rnd(SIZE / PS - 6) : rnd(SIZE - len);
          const v = 1 + rnd(255);
          const data = Uint8Array.from({ length: len }, (_, i) => (v + i) & 0xff);
          const fua = rnd(5) === 0;
          disk.write(off, data, fua, () => {});
          current.set(data, off);
          if (fua) durable.set(data, off);
        } else if (op < 15) {
          disk.flush(() => {});
          durable.set(current);
        } else if (op < 18) {
          const off = rnd(SIZE - 4 * PS);
          const len = 1 + rnd(4 * PS);
          disk.zero(off, len, rnd(2) === 0, false, () => {});
          current.fill(0, off, off + len);
        } else {
          disk.crash();
          current.set(durable);
        }
        engine.run();
        expect(same(disk.peek(0, SIZE), current)).toBe(true);
        expect(same(disk.peekDurable(0, SIZE), durable)).toBe(true);
      }
    });
  }
});
