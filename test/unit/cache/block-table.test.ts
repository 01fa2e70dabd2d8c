import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockTable } from '../../../drivers/nbd/cache/block-table.ts';

describe('BlockTable (the block cache index and pins)', () => {
  it('reads as a Map of block → non-zero int32 with 0 for absent, under any sequence of sets and clears', () => {
    const block = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 36 }));
    const op = fc.tuple(fc.constantFrom('set', 'set', 'zero', 'clear'), block, fc.integer({ min: 1, max: 2 ** 31 - 1 }));
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const t = new BlockTable();
      const ref = new Map<number, number>();
      for (const [kind, b, v] of ops) {
        if (kind === 'set') { t.set(b, v); ref.set(b, v); }
        else if (kind === 'zero') { t.set(b, 0); ref.delete(b); }
        else { t.clear(); ref.clear(); }
        expect(t.get(b)).toBe(ref.get(b) ?? 0);
        expect(t.size).toBe(ref.size);
      }
      for (const [b, v] of ref) expect(t.get(b)).toBe(v);
    }), { numRuns: 300 });
  });

  it('allocates nothing to clear an entry that was never set', () => {
    const t = new BlockTable();
    t.set(5000, 0);
    expect(t.size).toBe(0);
    expect(t.get(5000)).toBe(0);
    expect((t as unknown as { leaves: unknown[] }).leaves.length).toBe(0);
  });
});
