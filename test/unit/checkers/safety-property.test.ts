import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSafety, type OpRecord } from '../../../scenarios/checkers/index.ts';

const BS = 512;
type Step = { write: boolean; block: number };

/** A sequential history (each op completes before the next is issued) driven by a model of the blocks. */
function sequential(steps: Step[]): { ops: OpRecord[]; staleReads: { index: number; old: number }[] } {
  const model = new Map<number, number[]>(); // block → every content written, oldest first
  const ops: OpRecord[] = [];
  const staleReads: { index: number; old: number }[] = [];
  let t = 0;
  steps.forEach((s, i) => {
    const history = model.get(s.block) ?? [0];
    if (s.write) {
      const content = i + 1;
      ops.push({ id: i, kind: 'write', offset: s.block * BS, length: BS, issuedNs: t, completedNs: t + 5, ok: true, written: [content] });
      model.set(s.block, [...history, content]);
    } else {
      ops.push({ id: i, kind: 'read', offset: s.block * BS, length: BS, issuedNs: t, completedNs: t + 5, ok: true, seen: [history[history.length - 1]!] });
      if (history.length > 1) staleReads.push({ index: ops.length - 1, old: history[history.length - 2]! });
    }
    t += 10;
  });
  return { ops, staleReads };
}

const steps = fc.array(fc.record({ write: fc.boolean(), block: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 60 });

describe('safety checker on generated sequential histories', () => {
  it('passes every history that returns the model value', () => {
    fc.assert(fc.property(steps, (s) => checkSafety({ blockSize: BS, ops: sequential(s).ops, crashes: [] }).ok));
  });

  it('fails as soon as one read returns the value before the last write', () => {
    fc.assert(
      fc.property(steps, fc.nat(), (s, pick) => {
        const { ops, staleReads } = sequential(s);
        fc.pre(staleReads.length > 0);
        const bad = staleReads[pick % staleReads.length]!;
        const read = ops[bad.index]!;
        ops[bad.index] = { ...read, seen: [bad.old] };
        const rep = checkSafety({ blockSize: BS, ops, crashes: [] });
        expect(rep.violations.map((v) => [v.kind, v.readId])).toEqual([['stale-read', read.id]]);
      }),
    );
  });
});

describe('safety checker cost', () => {
  it('checks a 40 000-op history with 8-block requests quickly', () => {
    const ops: OpRecord[] = [];
    const lastWrite = new Map<number, number[]>();
    let reads = 0;
    let t = 0;
    for (let i = 0; i < 40_000; i++) {
      const block = ((i * 7919) % 4096) & ~7;
      if (i % 3 === 0) {
        const written = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => i * 8 + k);
        lastWrite.set(block, written);
        ops.push({ id: i, kind: 'write', offset: block * BS, length: 8 * BS, issuedNs: t, completedNs: t + 50, ok: true, written });
      } else {
        reads++;
        const seen = lastWrite.get(block) ?? new Array<number>(8).fill(0);
        ops.push({ id: i, kind: 'read', offset: block * BS, length: 8 * BS, issuedNs: t, completedNs: t + 50, ok: true, seen });
      }
      t += 100;
    }
    const rep = checkSafety({ blockSize: BS, ops, crashes: [] });
    expect(rep.ok).toBe(true);
    expect(rep.blocksChecked).toBe(reads * 8);
  });
});
