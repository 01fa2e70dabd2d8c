import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkCover } from '../../../drivers/nbd/protocol/chunk-cover.ts';

/** The model: a set of covered byte offsets; a chunk is refused when it shares a byte with it. */
function modelAdd(covered: Set<number>, start: number, end: number): boolean {
  for (let b = start; b < end; b++) if (covered.has(b)) return false;
  for (let b = start; b < end; b++) covered.add(b);
  return true;
}

describe('ChunkCover (content chunks of one READ reply must not overlap)', () => {
  it('accepts in-order, out-of-order and touching chunks; refuses any overlap', () => {
    const c = new ChunkCover();
    expect(c.add(0, 512)).toBe(true);
    expect(c.add(512, 1024)).toBe(true); // touching: merged
    expect(c.add(2048, 4096)).toBe(true); // gap
    expect(c.add(1024, 2048)).toBe(true); // fills the gap, joins both sides
    expect(c.add(4000, 4100)).toBe(false); // overlaps the merged range
    expect(c.add(100, 101)).toBe(false);
  });

  it('agrees with a byte-set model over random chunk sequences, also after reset (reused between replies)', () => {
    const chunk = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 16 })).map(([s, l]) => [s, s + l] as const);
    fc.assert(fc.property(fc.array(fc.array(chunk, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), (replies) => {
      const c = new ChunkCover();
      for (const chunks of replies) {
        c.reset();
        const covered = new Set<number>();
        for (const [s, e] of chunks) expect(c.add(s, e)).toBe(modelAdd(covered, s, e));
      }
    }), { seed: 12, numRuns: 400 });
  });
});
