import { describe, expect, it } from 'vitest';
import { checkSafety, type History, type OpRecord } from '../../../scenarios/checkers/index.ts';

const BS = 4096;
type Opt = { ok?: boolean; fua?: boolean };
/** write #id of `contents` (one per block) from block `block`, issued at i, acked at c (undefined: never). */
const w = (id: number, block: number, contents: number[], i: number, c: number | undefined, o: Opt = {}): OpRecord => ({
  id, kind: o.fua ? 'fua-write' : 'write', offset: block * BS, length: contents.length * BS, issuedNs: i, completedNs: c,
  ok: (o.ok ?? true) && c !== undefined, errno: o.ok === false ? 'EIO' : undefined, written: contents,
});
const r = (id: number, block: number, seen: number[], i: number, c: number): OpRecord => ({
  id, kind: 'read', offset: block * BS, length: seen.length * BS, issuedNs: i, completedNs: c, ok: true, seen,
});
const f = (id: number, i: number, c: number, ok = true): OpRecord => ({ id, kind: 'flush', offset: 0, length: 0, issuedNs: i, completedNs: c, ok });
const trim = (id: number, block: number, n: number, i: number, c: number): OpRecord => ({ id, kind: 'trim', offset: block * BS, length: n * BS, issuedNs: i, completedNs: c, ok: true });
const hist = (ops: OpRecord[], crashes: number[] = []): History => ({ blockSize: BS, ops, crashes: crashes.map((atNs) => ({ atNs })) });

describe('safety checker: histories that must pass', () => {
  it.each<[string, History]>([
    ['read after an acked write returns it', hist([w(1, 0, [11], 0, 10), r(2, 0, [11], 20, 30)])],
    ['read of a never-written block returns the initial content', hist([r(1, 5, [0], 0, 10)])],
    ['read overlapping a write may return the old content', hist([w(1, 0, [11], 0, 10), w(2, 0, [12], 20, 40), r(3, 0, [11], 25, 35)])],
    ['read overlapping a write may return the new content', hist([w(1, 0, [11], 0, 10), w(2, 0, [12], 20, 40), r(3, 0, [12], 25, 35)])],
    ['read issued before a write was acked but completing after may see it', hist([w(1, 0, [11], 10, 30), r(2, 0, [11], 5, 20)])],
    ['two writes overlapping each other, both acked before the read: either may win', hist([
      w(1, 0, [11], 0, 20), w(2, 0, [12], 5, 15), r(3, 0, [11], 30, 40), r(4, 0, [12], 50, 60),
    ])],
    ['a write still in flight at the end may be visible', hist([w(1, 0, [11], 0, 10), w(2, 0, [12], 20, undefined), r(3, 0, [12], 30, 40)])],
    ['a failed write may or may not have landed', hist([
      w(1, 0, [11], 0, 10), w(2, 0, [12], 20, 30, { ok: false }), r(3, 0, [11], 40, 50), r(4, 0, [12], 60, 70),
    ])],
    ['multi-block write and read, per block', hist([w(1, 2, [21, 22, 23], 0, 10), w(2, 3, [32], 20, 30), r(3, 1, [0, 21, 32, 23], 40, 50)])],
    ['crash loses an acked write that was never flushed', hist([w(1, 0, [11], 0, 10), r(2, 0, [0], 40, 50)], [30])],
    ['... or keeps it', hist([w(1, 0, [11], 0, 10), r(2, 0, [11], 40, 50)], [30])],
    ['crash may roll back to the last flushed write', hist([
      w(1, 0, [11], 0, 10), f(2, 15, 20), w(3, 0, [12], 25, 28), r(4, 0, [11], 40, 50),
    ], [30])],
    ['a FLUSH issued before the write was acked does not cover it', hist([
      w(1, 0, [11], 0, 10), f(2, 5, 20), r(3, 0, [0], 40, 50),
    ], [30])],
    ['a failed FLUSH makes nothing durable', hist([w(1, 0, [11], 0, 10), f(2, 15, 20, false), r(3, 0, [0], 40, 50)], [30])],
    ['a FLUSH completing after the crash makes nothing durable before it', hist([w(1, 0, [11], 0, 10), f(2, 15, 35), r(3, 0, [0], 40, 50)], [30])],
    // The read was issued before the crash but may have reached the disk after it (swarm seed 36).
    ['a read spanning a crash may see the durable data the crash rolled back to', hist([
      w(1, 0, [11], 0, 10), w(2, 0, [12], 12, 14), r(3, 0, [0], 20, 50),
    ], [30])],
    // fault-mix: the server replied just before losing power; the ack reached the client 2 µs later.
    ['an unflushed write whose ack arrives after the crash may have been lost by it', hist([
      w(1, 0, [11], 0, 10), f(2, 12, 15), w(3, 0, [12], 20, 35), r(4, 0, [11], 40, 50),
    ], [30])],
    ['... even when a FLUSH after its ack completed', hist([
      w(1, 0, [11], 0, 10), f(2, 12, 14), w(3, 0, [12], 20, 35), f(4, 36, 38), r(5, 0, [11], 50, 60),
    ], [30])],
    ['a write acked after the crash (retried) is not subject to it', hist([w(1, 0, [11], 0, 40), r(2, 0, [11], 50, 60)], [30])],
    ['trimmed blocks may read as anything until rewritten', hist([w(1, 0, [11], 0, 10), trim(2, 0, 1, 20, 30), r(3, 0, [0], 40, 50), r(4, 0, [11], 60, 70)])],
  ])('%s', (_name, h) => {
    const rep = checkSafety(h);
    expect(rep.violations).toEqual([]);
    expect(rep.ok).toBe(true);
  });
});

describe('safety checker: histories that must fail', () => {
  it('stale read: names the block, the writes and the times', () => {
    const rep = checkSafety(hist([w(1, 7, [11], 0, 10), w(2, 7, [12], 20, 30), r(3, 7, [11], 40, 50)]));
    expect(rep.ok).toBe(false);
    expect(rep.violations).toHaveLength(1);
    const v = rep.violations[0]!;
    expect(v).toMatchObject({ kind: 'stale-read', block: 7, readId: 3, readIssuedNs: 40, readCompletedNs: 50, seen: 11, crashNs: undefined });
    expect(v.overwrittenBy).toMatchObject({ id: 2, content: 12, issuedNs: 20, completedNs: 30 });
    expect(v.allowed.map((a) => a.id)).toEqual([2]);
    expect(v.message).toBe(
      'block 7: read #3 (issued 40ns, completed 50ns) returned write #1 (content 11, issued at 0ns, acked at 10ns), ' +
        'overwritten by write #2 (content 12, issued at 20ns, acked at 30ns); allowed: write #2 (content 12, issued at 20ns, acked at 30ns)',
    );
  });

  it('reading the initial content after an acked write, with no crash', () => {
    const v = checkSafety(hist([w(1, 0, [11], 0, 10), r(2, 0, [0], 20, 30)])).violations[0]!;
    expect(v.kind).toBe('stale-read');
    expect(v.overwrittenBy?.id).toBe(1);
  });

  it('a write acked before a completed FLUSH is lost by a crash', () => {
    const v = checkSafety(hist([w(1, 0, [11], 0, 10), f(2, 12, 20), r(3, 0, [0], 40, 50)], [30])).violations[0]!;
    expect(v).toMatchObject({ kind: 'lost-durable-write', block: 0, crashNs: 30, seen: 0 });
    expect(v.overwrittenBy?.id).toBe(1);
    expect(v.message).toContain('durable before the crash at 30ns');
  });

  it('a FUA write acked after a crash survived it (durable when the server replied)', () => {
    const rep = checkSafety(hist([w(1, 0, [11], 0, 10), f(2, 12, 15), w(3, 0, [12], 20, 35, { fua: true }), r(4, 0, [11], 40, 50)], [30]));
    expect(rep.ok).toBe(false);
    expect(rep.violations[0]).toMatchObject({ block: 0, readId: 4, seen: 11 });
    expect(rep.violations[0]!.overwrittenBy).toMatchObject({ id: 3, content: 12 });
  });

  it('a FUA write is lost by a crash', () => {
    const v = checkSafety(hist([w(1, 3, [11], 0, 10), w(2, 3, [12], 15, 20, { fua: true }), r(3, 3, [11], 40, 50)], [30])).violations[0]!;
    expect(v).toMatchObject({ kind: 'lost-durable-write', block: 3, crashNs: 30, seen: 11 });
    expect(v.overwrittenBy?.id).toBe(2);
  });

  it('a flushed write overwritten by an unflushed one: the crash may drop the second, never the first', () => {
    const h = hist([w(1, 0, [11], 0, 10), f(2, 10, 15), w(3, 0, [12], 20, 25), r(4, 0, [0], 40, 50)], [30]);
    expect(checkSafety(h).violations.map((v) => [v.kind, v.overwrittenBy?.id])).toEqual([['lost-durable-write', 1]]);
  });

  it('a write whose ack straddles the crash may be lost, the flushed one before it never', () => {
    const h = hist([w(1, 0, [11], 0, 10), f(2, 12, 14), w(3, 0, [12], 20, 35), r(4, 0, [0], 50, 60)], [30]);
    expect(checkSafety(h).violations.map((v) => [v.kind, v.overwrittenBy?.id])).toEqual([['lost-durable-write', 1]]);
  });

  it('a read returning data written after it completed', () => {
    const v = checkSafety(hist([r(1, 0, [11], 0, 10), w(2, 0, [11], 20, 30)])).violations[0]!;
    expect(v.kind).toBe('future-read');
  });

  it('a read returning content no write produced', () => {
    const v = checkSafety(hist([w(1, 0, [11], 0, 10), r(2, 0, [99], 20, 30)])).violations[0]!;
    expect(v.kind).toBe('unknown-content');
    expect(v.message).toContain('content 99 that no write put there');
  });

  it('one bad block in a multi-block read is reported alone', () => {
    const rep = checkSafety(hist([w(1, 0, [1, 2, 3], 0, 10), r(2, 0, [1, 0, 3], 20, 30)]));
    expect(rep.violations.map((v) => v.block)).toEqual([1]);
    expect(rep.blocksChecked).toBe(3);
  });

  it('an inconsistent history is reported, not silently checked', () => {
    const rep = checkSafety({ blockSize: BS, crashes: [], ops: [{ id: 1, kind: 'write', offset: 100, length: BS, issuedNs: 0, completedNs: 5, ok: true, written: [1] }] });
    expect(rep.ok).toBe(false);
    expect(rep.violations[0]!.kind).toBe('bad-history');
  });
});
