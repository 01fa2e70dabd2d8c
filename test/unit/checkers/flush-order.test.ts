import { describe, expect, it } from 'vitest';
import { FlushOrder } from '../../../scenarios/checkers/flush-order.ts';

const US = 1_000;

describe('flush-order: a FLUSH completes only after every write issued before it', () => {
  it('passes when the FLUSH is answered after the writes before it (one still in flight when it was issued)', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 10 * US);
    c.writeIssued(1, 8192, 4096, 20 * US);
    c.writeDone(0);
    c.flushIssued(2, 30 * US); // write 1 still in flight
    c.writeIssued(3, 4096, 4096, 40 * US); // after the FLUSH: not covered
    c.writeDone(1);
    c.flushDone(2, true, 60 * US); // write 3 still in flight: allowed
    c.writeDone(3);
    const r = c.report();
    expect(r).toEqual({ ok: true, checked: 1, behindWrites: 1, violations: [] });
  });

  it('fails when the FLUSH is answered while an earlier write is not, naming both and the times', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 10 * US);
    c.writeIssued(1, 65536, 8192, 20 * US);
    c.writeDone(0);
    c.flushIssued(2, 30 * US);
    c.flushDone(2, true, 45 * US); // write 1 unanswered
    c.writeDone(1);
    const r = c.report();
    expect(r.ok).toBe(false);
    expect(c.violationTotal).toBe(1);
    expect(r.violations[0]).toMatchObject({ flushId: 2, writeId: 1 });
    expect(r.violations[0]!.message).toBe(
      'FLUSH op 2 (issued 30µs) completed at 45µs while write op 1 [byte 65536, +8 KiB) issued before it (at 20µs) was still unacknowledged',
    );
  });

  it('a failed write counts as answered; a failed FLUSH promises nothing', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 1 * US);
    c.flushIssued(1, 2 * US);
    c.flushDone(1, false, 3 * US); // failed: not checked
    c.writeDone(0); // answered with an error
    c.flushIssued(2, 4 * US);
    c.flushDone(2, true, 5 * US);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 0, violations: [] });
  });
});
