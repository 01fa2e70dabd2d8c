import { describe, expect, it } from 'vitest';
import { checkLiveness, type History, type OpRecord } from '../../../scenarios/checkers/index.ts';

const op = (id: number, i: number, c: number | undefined, ok = true): OpRecord => ({
  id, kind: 'read', offset: 0, length: 4096, issuedNs: i, completedNs: c, ok: ok && c !== undefined, seen: c === undefined ? undefined : [0],
});
const hist = (ops: OpRecord[]): History => ({ blockSize: 4096, ops, crashes: [] });
// The last fault heals at 1000 ns; every request must complete within 500 ns after that (or after its issue).
const opts = { lastHealNs: 1000, limitNs: 500, endNs: 10_000 };

describe('liveness checker', () => {
  it('passes when every request completes by max(issue, heal) + N, errors included', () => {
    const rep = checkLiveness(hist([op(1, 0, 1500), op(2, 900, 1499, false), op(3, 2000, 2500), op(4, 5, 20)]), opts);
    // Longest wait: op 3, 2000 → 2500 (op 1 waited 1500 - 1000 = 500 too).
    expect(rep).toEqual({ ok: true, checked: 4, violations: [], undecided: [], worstNs: 500 });
  });

  it('fails a request that completes after its deadline', () => {
    const rep = checkLiveness(hist([op(1, 0, 1501), op(2, 3000, 3600)]), opts);
    expect(rep.ok).toBe(false);
    expect(rep.violations.map((v) => [v.opId, v.deadlineNs])).toEqual([[1, 1500], [2, 3500]]);
    expect(rep.violations[0]!.message).toBe('read #1 issued at 0ns completed at 1.501µs, past its deadline 1.5µs (last heal 1µs + 500ns)');
  });

  it('fails a request that never completed although its deadline passed before the end', () => {
    const rep = checkLiveness(hist([op(1, 100, undefined)]), opts);
    expect(rep.violations[0]).toMatchObject({ opId: 1, completedNs: undefined, deadlineNs: 1500 });
    expect(rep.violations[0]!.message).toContain('still in flight at the end (10µs)');
  });

  it('a request in flight whose deadline is after the end is undecided, not a violation', () => {
    const rep = checkLiveness(hist([op(1, 9800, undefined)]), opts);
    expect(rep).toMatchObject({ ok: true, undecided: [1], worstNs: 200 });
  });
});

describe('liveness checker on a stalled run', () => {
  it('counts every request still in flight as a violation, even one whose deadline lies past the end', () => {
    // Issued at 9800: deadline max(9800, 1000) + 500 = 10300 > end 10000, yet nothing can complete it any more.
    const rep = checkLiveness(hist([op(1, 9800, undefined), op(2, 100, 200)]), { ...opts, stalled: true });
    expect(rep.ok).toBe(false);
    expect(rep.undecided).toEqual([]);
    expect(rep.violations.map((v) => [v.opId, v.deadlineNs])).toEqual([[1, 10_300]]);
    expect(rep.violations[0]!.message).toBe('read #1 issued at 9.8µs was still in flight when the run stalled (10µs); nothing was left to complete it by its deadline 10.3µs');
  });
});
