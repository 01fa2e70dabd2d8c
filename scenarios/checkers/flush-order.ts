/**
 * FLUSH order: a FLUSH completes only after every write the driver took before it is answered.
 *
 * Two promises meet here. Linux's block layer and NBD promise that a FLUSH covers the writes
 * already COMPLETED when it was submitted (Documentation/block/writeback_cache_control.rst;
 * NBD_CMD_FLUSH covers the writes the server has replied to). blk-mq does not hold a FLUSH
 * behind writes still in the I/O scheduler: blk-flush.c sends its flush request past the
 * scheduler onto the hardware queue's dispatch list, so after a BUSY a FLUSH can reach the driver
 * before a write submitted earlier (kernel/block/queue.ts does the same). The driver promises
 * more (docs/architecture.md, drivers/nbd/flush-barrier.ts): a FLUSH is answered only after the
 * replies of every write it took before the FLUSH, on every connection. That is the rule checked,
 * per device: when a FLUSH is acknowledged, every write, FUA write, trim or write-zeroes the
 * driver accepted (queue_rq said OK, `RequestQueue.onStarted`) before it accepted the FLUSH must
 * have been answered (or failed). Linux's rule follows from it: a write completed before the
 * FLUSH's submission was taken before it. Durability itself is the safety checker's, on crashes.
 * A failed FLUSH promises nothing; a FLUSH the driver never took (ended by the block layer) is
 * not checked; devices without a volatile write cache are not checked at all.
 *
 * Online and cheap: writes taken and unanswered are kept in the order the driver took them (a
 * Map keeps insertion order), so a FLUSH completion only looks at the oldest one.
 */
import { formatByteRange, formatNsExact as t } from './units.ts';

export interface FlushOrderViolation {
  readonly flushId: number;
  readonly writeId: number;
  readonly message: string;
}

export interface FlushOrderReport {
  readonly ok: boolean;
  /** FLUSH completions checked (successful ones the driver took). */
  readonly checked: number;
  /** Of those, FLUSHes taken while some write the driver took was unanswered (the rule had work). */
  readonly behindWrites: number;
  readonly violations: readonly FlushOrderViolation[];
}

interface Write {
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: number;
  /** When the driver took it; -1 while it waits in the block layer. */
  startedNs: number;
  /** Position in the driver's order; -1 while it waits in the block layer. */
  seq: number;
}

interface Flush {
  readonly issuedNs: number;
  startedNs: number;
  seq: number;
  /** Some write the driver took was unanswered when it took the FLUSH. */
  behind: boolean;
}

/** Violations kept for the report (the count is exact; the list is bounded). */
const KEEP = 16;

export class FlushOrder {
  /** Submitted, not yet taken by the driver. */
  private readonly waiting = new Map<number, Write>();
  /** Taken by the driver and unanswered, in the order it took them. */
  private readonly taken = new Map<number, Write>();
  private readonly flushes = new Map<number, Flush>();
  private readonly violations: FlushOrderViolation[] = [];
  private nextSeq = 0;
  private violationCount = 0;
  private checked = 0;
  private behindWrites = 0;

  /** `id`s are the tap's request ids (unique per device). */
  writeIssued(id: number, offset: number, length: number, nowNs: number): void {
    this.waiting.set(id, { offset, length, issuedNs: nowNs, startedNs: -1, seq: -1 });
  }

  flushIssued(id: number, nowNs: number): void {
    this.flushes.set(id, { issuedNs: nowNs, startedNs: -1, seq: -1, behind: false });
  }

  /** The driver took request `id` (the first time counts; a requeued one is taken again). */
  started(id: number, nowNs: number): void {
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w.startedNs = nowNs;
      w.seq = this.nextSeq++;
      this.taken.set(id, w);
      return;
    }
    const f = this.flushes.get(id);
    if (f && f.seq < 0) {
      f.startedNs = nowNs;
      f.seq = this.nextSeq++;
      f.behind = this.taken.size > 0;
    }
  }

  /** The write's completion reached its submitter (success or failure: it was answered). */
  writeDone(id: number): void {
    if (!this.taken.delete(id)) this.waiting.delete(id);
  }

  flushDone(id: number, ok: boolean, nowNs: number): void {
    const f = this.flushes.get(id);
    if (!f) return;
    this.flushes.delete(id);
    if (!ok || f.seq < 0) return;
    this.checked++;
    if (f.behind) this.behindWrites++;
    const oldest = this.taken.entries().next();
    if (oldest.done === true) return;
    const [writeId, w] = oldest.value;
    if (w.seq > f.seq) return;
    this.violationCount++;
    if (this.violations.length >= KEEP) return;
    this.violations.push({
      flushId: id, writeId,
      message: `FLUSH op ${id} (issued ${t(f.issuedNs)}, taken by the driver ${t(f.startedNs)}) completed at ${t(nowNs)} while write op ${writeId} ${formatByteRange(w.offset, w.length)} taken before it (issued ${t(w.issuedNs)}, taken ${t(w.startedNs)}) was still unacknowledged`,
    });
  }

  report(): FlushOrderReport {
    return { ok: this.violationCount === 0, checked: this.checked, behindWrites: this.behindWrites, violations: this.violations.slice() };
  }

  /** Every violation, including those beyond the kept list. */
  get violationTotal(): number {
    return this.violationCount;
  }
}
