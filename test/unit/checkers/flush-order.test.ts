import { describe, expect, it } from 'vitest';
import { FlushOrder } from '../../../scenarios/checkers/flush-order.ts';

const US = 1_000;

describe('flush-order: a FLUSH completes only after every write the driver took before it', () => {
  it('passes when the FLUSH is answered after the writes taken before it (one still in flight when it was taken)', () => {
    const c = new FlushOrder();
    const w0 = c.writeIssued(0, 0, 4096, 10 * US);
    c.writeStarted(w0, 10 * US);
    const w1 = c.writeIssued(1, 8192, 4096, 20 * US);
    c.writeStarted(w1, 20 * US);
    c.writeDone(w0);
    const f2 = c.flushIssued(2, 30 * US);
    c.flushStarted(f2, 30 * US); // write 1 still in flight
    const w3 = c.writeIssued(3, 4096, 4096, 40 * US);
    c.writeStarted(w3, 40 * US); // after the FLUSH: not covered
    c.writeDone(w1);
    c.flushDone(f2, true, 60 * US); // write 3 still in flight: allowed
    c.writeDone(w3);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 1, violations: [] });
  });

  it('fails when the FLUSH is answered while a write taken before it is not, naming both and the times', () => {
    const c = new FlushOrder();
    const w0 = c.writeIssued(0, 0, 4096, 10 * US);
    c.writeStarted(w0, 11 * US);
    const w1 = c.writeIssued(1, 65536, 8192, 20 * US);
    c.writeStarted(w1, 21 * US);
    c.writeDone(w0);
    const f2 = c.flushIssued(2, 30 * US);
    c.flushStarted(f2, 31 * US);
    c.flushDone(f2, true, 45 * US); // write 1 unanswered
    c.writeDone(w1);
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
    const w0 = c.writeIssued(0, 0, 4096, 10 * US);
    const f1 = c.flushIssued(1, 12 * US);
    c.flushStarted(f1, 20 * US);
    c.writeStarted(w0, 21 * US);
    c.flushDone(f1, true, 30 * US);
    c.writeDone(w0);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 0, violations: [] });
  });

  it('only the first take counts: a write requeued and taken again after the FLUSH stays ahead of it', () => {
    const c = new FlushOrder();
    const w0 = c.writeIssued(0, 0, 4096, 1 * US);
    c.writeStarted(w0, 1 * US);
    const f1 = c.flushIssued(1, 2 * US);
    c.flushStarted(f1, 2 * US);
    c.writeStarted(w0, 3 * US); // requeued (dead connection) and taken again
    c.flushStarted(f1, 4 * US); // a FLUSH taken again keeps its place too
    c.flushDone(f1, true, 5 * US);
    expect(c.violationTotal).toBe(1);
    expect(c.report().violations[0]).toMatchObject({ flushId: 1, writeId: 0 });
  });

  it('a failed write counts as answered; a failed FLUSH promises nothing; a FLUSH the driver never took is not checked', () => {
    const c = new FlushOrder();
    const w0 = c.writeIssued(0, 0, 4096, 1 * US);
    c.writeStarted(w0, 1 * US);
    const f1 = c.flushIssued(1, 2 * US);
    c.flushStarted(f1, 2 * US);
    c.flushDone(f1, false, 3 * US); // failed: not checked
    const f2 = c.flushIssued(2, 3 * US);
    c.flushDone(f2, true, 4 * US); // ended by the block layer, never taken: not checked
    c.writeDone(w0); // answered with an error
    const w3 = c.writeIssued(3, 0, 4096, 5 * US);
    c.writeDone(w3); // ended before the driver took it (disk gone): leaves nothing behind
    const f4 = c.flushIssued(4, 6 * US);
    c.flushStarted(f4, 6 * US);
    c.flushDone(f4, true, 7 * US);
    expect(c.report()).toEqual({ ok: true, checked: 1, behindWrites: 0, violations: [] });
  });

  it('finds the oldest unanswered write taken before the FLUSH among thousands that came and went', () => {
    const c = new FlushOrder();
    const w0 = c.writeIssued(0, 0, 4096, 0);
    c.writeStarted(w0, 0);
    let w2500 = w0;
    for (let i = 1; i <= 5000; i++) {
      const w = c.writeIssued(i, i * 4096, 4096, i * US);
      c.writeStarted(w, i * US);
      if (i === 2500) w2500 = w;
      else c.writeDone(w);
    }
    const flush = (id: number, at: number): void => {
      const f = c.flushIssued(id, at);
      c.flushStarted(f, at);
      c.flushDone(f, true, at + 1);
    };
    flush(9000, 6000 * US);
    expect(c.report().violations.map((v) => v.writeId)).toEqual([0]);
    c.writeDone(w0);
    flush(9001, 7000 * US);
    expect(c.report().violations.map((v) => v.writeId)).toEqual([0, 2500]);
    c.writeDone(w2500);
    flush(9002, 8000 * US);
    expect(c.report()).toMatchObject({ checked: 3, behindWrites: 2 });
    expect(c.violationTotal).toBe(2);
  });
});
