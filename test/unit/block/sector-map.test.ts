import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Request } from '../../../kernel/block/request.ts';
import { SectorMap } from '../../../kernel/block/sector-map.ts';

// Requests are only carried, never read: tokens stand in for them.
const rq = (n: number): Request => ({ id: n }) as unknown as Request;

describe('SectorMap (the merge index table)', () => {
  it('behaves as a Map under any sequence of set/get/delete, across growth and wrap-around probes', () => {
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.constant(Number.MAX_SAFE_INTEGER));
    const op = fc.tuple(fc.constantFrom('set', 'get', 'delete'), key, fc.nat(1000));
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const m = new SectorMap(1);
      const ref = new Map<number, Request>();
      for (const [kind, k, v] of ops) {
        if (kind === 'set') { m.set(k, rq(v)); ref.set(k, rq(v)); }
        else if (kind === 'delete') expect(m.delete(k)).toBe(ref.delete(k));
        expect(m.get(k)).toEqual(ref.get(k));
        expect(m.size).toBe(ref.size);
      }
      for (const [k, v] of ref) expect(m.get(k)).toEqual(v);
    }), { numRuns: 300 });
  });

  it('deleteIf removes an entry only when it maps to that very request, as get-then-delete would', () => {
    const pool = [rq(0), rq(1), rq(2)];
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 40 }));
    const op = fc.tuple(fc.constantFrom('set', 'deleteIf', 'deleteAny'), key, fc.integer({ min: 0, max: 2 }));
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const m = new SectorMap(1);
      const ref = new Map<number, Request>();
      for (const [kind, k, t] of ops) {
        const tok = pool[t]!;
        if (kind === 'set') { m.set(k, tok); ref.set(k, tok); }
        else if (kind === 'deleteIf') expect(m.deleteIf(k, tok)).toBe(ref.get(k) === tok && ref.delete(k));
        else expect(m.deleteIf(k, null)).toBe(ref.delete(k));
        expect(m.get(k)).toBe(ref.get(k));
        expect(m.size).toBe(ref.size);
      }
      for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    }), { numRuns: 300 });
  });

  it('finds every key after deletions in the middle of long probe runs', () => {
    const m = new SectorMap(8);
    // Keys 0..999 and their deletion in a scattered order: each delete must keep the rest reachable.
    for (let k = 0; k < 1000; k++) m.set(k * 8, rq(k));
    for (let k = 0; k < 1000; k += 3) expect(m.delete(k * 8)).toBe(true);
    for (let k = 0; k < 1000; k++) expect(m.get(k * 8)).toEqual(k % 3 === 0 ? undefined : rq(k));
    expect(m.size).toBe(1000 - 334);
  });

  it('refuses keys that are not sectors', () => {
    const m = new SectorMap();
    expect(() => m.set(-1, rq(0))).toThrow(/sector -1/);
    expect(() => m.set(1.5, rq(0))).toThrow(/sector 1.5/);
  });
});
