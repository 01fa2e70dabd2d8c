import { describe, expect, it } from 'vitest';
import { FlushOrder } from '../../../scenarios/checkers/flush-order.ts';

const US = 1_000;

describe('flush-order: a FLUSH completes only after every write the driver took before it', () => {
  it('passes when the FLUSH is answered after the writes taken before it (one still in flight when it was taken)', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 10 * US);
    c.started(0, 10 * US);
    c.writeIssued(1, 8192, 4096, 20 * US);
    c.started(1, 20 * US);
    c.writeDone(0);
    c.flushIssued(2, 30 * US);
    c.started(2, 30 * US); // write 1 still in flight
    c.writeIssued(3, 4096, 4096, 40 * US);
    c.started(3, 40 * US); // after the FLUSH: not covered
    c.writeDone(1);
    c.flushDone(2, true, 60 * US); // write 3 still in flight: allowed
    c.writeDone(3);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 1, violations: [] });
  });

  it('fails when the FLUSH is answered while a write taken before it is not, naming both and the times', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 10 * US);
    c.started(0, 11 * US);
    c.writeIssued(1, 65536, 8192, 20 * US);
    c.started(1, 21 * US);
    c.writeDone(0);
    c.flushIssued(2, 30 * US);
    c.started(2, 31 * US);
    c.flushDone(2, true, 45 * US); // write 1 unanswered
    c.writeDone(1);
    const r = c.report();
    expect(r.ok).toBe(false);
    expect(c.violationTotal).toBe(1);
    expect(r.violations[0]).toMatchObject({ flushId: 2, writeId: 1 });
    expect(r.violations[0]!.message).toBe(
      'FLUSH op 2 (issued 30µs, taken by the driver 31µs) completed at 45µs while write op 1 [byte 65536, +8 KiB) taken before it (issued 20µs, taken 21µs) was still unacknowledged',
    );
  });

  it('a write submitted before the FLUSH but still in the block layer when the driver took the FLUSH is not covered (Linux, NBD)', () => {
    // blk-mq after a BUSY: the FLUSH goes past the I/O scheduler, the earlier write waits there.
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 10 * US);
    c.flushIssued(1, 12 * US);
    c.started(1, 20 * US);
    c.started(0, 21 * US);
    c.flushDone(1, true, 30 * US);
    c.writeDone(0);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 0, violations: [] });
  });

  it('only the first take counts: a write requeued and taken again after the FLUSH stays ahead of it', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 1 * US);
    c.started(0, 1 * US);
    c.flushIssued(1, 2 * US);
    c.started(1, 2 * US);
    c.started(0, 3 * US); // requeued (dead connection) and taken again
    c.started(1, 4 * US); // a FLUSH taken again keeps its place too
    c.flushDone(1, true, 5 * US);
    expect(c.violationTotal).toBe(1);
    expect(c.report().violations[0]).toMatchObject({ flushId: 1, writeId: 0 });
  });

  it('a failed write counts as answered; a failed FLUSH promises nothing; a FLUSH the driver never took is not checked', () => {
    const c = new FlushOrder();
    c.writeIssued(0, 0, 4096, 1 * US);
    c.started(0, 1 * US);
    c.flushIssued(1, 2 * US);
    c.started(1, 2 * US);
    c.flushDone(1, false, 3 * US); // failed: not checked
    c.flushIssued(2, 3 * US);
    c.flushDone(2, true, 4 * US); // ended by the block layer, never taken: not checked
    c.writeDone(0); // answered with an error
    c.writeIssued(3, 0, 4096, 5 * US);
    c.writeDone(3); // ended before the driver took it (disk gone): leaves nothing behind
    c.flushIssued(4, 6 * US);
    c.started(4, 6 * US);
    c.flushDone(4, true, 7 * US);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 0, violations: [] });
  });
});
