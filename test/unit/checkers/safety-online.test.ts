// The online checker prunes writes no later read can return. Pruning must never change a verdict:
// random concurrent histories (overlapping writes, FUA, trims, failures, flushes, crashes, reads
// returning any content ever written there) get the same violations with and without it. And it
// must bound memory: a block rewritten many times holds a handful of writes, not all of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSafety, OnlineSafety, type History, type OpRecord } from '../../../scenarios/checkers/index.ts';

const BS = 4096;

interface Gen { ops: OpRecord[]; crashes: number[] }

/** Ops issued every 10 ns over `blocks` blocks; content ids grow with issue order (as the tap's do). */
const history = fc.record({
  steps: fc.array(fc.record({
    kind: fc.constantFrom('read', 'read', 'write', 'write', 'fua-write', 'flush', 'trim'),
    block: fc.nat(3),
    n: fc.integer({ min: 1, max: 2 }),
    dur: fc.integer({ min: 1, max: 60 }),
    fail: fc.integer({ min: 0, max: 19 }),
    pick: fc.nat(),
  }), { minLength: 1, maxLength: 50 }),
  crashes: fc.array(fc.nat(500), { maxLength: 2 }),
}).map(({ steps, crashes }): Gen => {
  const ever = new Map<number, number[]>();
  const ops: OpRecord[] = [];
  let content = 1;
  steps.forEach((s, id) => {
    const t = id * 10;
    const n = Math.min(s.n, 4 - s.block);
    const done = s.fail === 0 ? undefined : t + s.dur;
    const ok = done !== undefined && s.fail !== 1;
    const base = { id, offset: s.block * BS, length: n * BS, issuedNs: t, completedNs: done, ok };
    if (s.kind === 'flush') ops.push({ ...base, kind: 'flush', offset: 0, length: 0 });
    else if (s.kind === 'trim') ops.push({ ...base, kind: 'trim' });
    else if (s.kind === 'read') {
      if (!ok) ops.push({ ...base, kind: 'read' });
      else {
        const seen = Array.from({ length: n }, (_, k) => {
          const options = [0, ...(ever.get(s.block + k) ?? [])];
          return s.pick % 41 === 0 ? -1 : options[(s.pick >> k) % options.length]!;
        });
        ops.push({ ...base, kind: 'read', seen });
      }
    } else {
      const written = Array.from({ length: n }, () => content++);
      written.forEach((c, k) => ever.set(s.block + k, [...(ever.get(s.block + k) ?? []), c]));
      ops.push({ ...base, kind: s.kind as 'write' | 'fua-write', written });
    }
  });
  return { ops, crashes };
});

const verdict = (h: History, prune: boolean) =>
  checkSafety(h, { prune }).violations.map((v) => `${v.kind} r${v.readId} b${v.block}`);

describe('online safety checker', () => {
  it('pruning never changes a verdict', () => {
    fc.assert(fc.property(history, (g) => {
      const h: History = { blockSize: BS, ops: g.ops, crashes: g.crashes.map((atNs) => ({ atNs })) };
      expect(verdict(h, true)).toEqual(verdict(h, false));
    }), { numRuns: 400 });
  });

  it('a block rewritten 10 000 times holds one write once each is acknowledged (no crash possible)', () => {
    const c = new OnlineSafety({ blockSize: BS, crashesPossible: false });
    for (let i = 0; i < 10_000; i++) {
      const w = c.writeIssued(i, 'write', 0, 2 * BS, [2 * i + 1, 2 * i + 2], i * 10);
      c.writeDone(w, true, i * 10 + 5);
    }
    expect(c.held).toEqual({ blocks: 2, sources: 2 });
    // The last write's content is current; the one before is a stale read named as such.
    const r = c.readIssued(10_000, 0, 2 * BS, 200_000);
    c.readDone(r, true, [19_999, 19_998], 200_010);
    expect(c.report().violations.map((v) => [v.kind, v.block, v.overwrittenBy?.id])).toEqual([['stale-read', 1, 9_999]]);
  });

  it('when a crash may come, unflushed writes stay until a FLUSH makes a newer one durable', () => {
    const c = new OnlineSafety({ blockSize: BS });
    for (let i = 0; i < 100; i++) c.writeDone(c.writeIssued(i, 'write', 0, BS, [i + 1], i * 10), true, i * 10 + 5);
    expect(c.held.sources).toBe(100);
    c.flushDone(1000, true, 1010);
    expect(c.held.sources).toBe(1);
  });

  it('a read in flight keeps what it may still return', () => {
    const c = new OnlineSafety({ blockSize: BS, crashesPossible: false });
    c.writeDone(c.writeIssued(1, 'write', 0, BS, [1], 0), true, 10);
    const r = c.readIssued(2, 0, BS, 12);
    c.writeDone(c.writeIssued(3, 'write', 0, BS, [2], 20), true, 30);
    c.writeDone(c.writeIssued(4, 'write', 0, BS, [3], 40), true, 50);
    expect(c.held.sources).toBe(3);
    c.readDone(r, true, [1], 60);
    expect(c.report().ok).toBe(true);
  });

  it('a crash announced as impossible is refused', () => {
    expect(() => new OnlineSafety({ blockSize: BS, crashesPossible: false }).crash(5)).toThrow(/crash at 5ns/);
  });
});
