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
 * Online and cheap: the tap keeps each request's record with the request (no map by id); the
 * writes taken are kept in the order the driver took them, an answered one dropped when it
 * reaches the front, so a FLUSH completion only looks at the oldest unanswered one.
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

/** A write, FUA write, trim or write-zeroes as the check knows it (writeIssued's answer). */
export interface FlushOrderWrite {
  readonly id: number;
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: number;
  /** When the driver took it; -1 while it waits in the block layer. */
  startedNs: number;
  /** Position in the driver's order; -1 while it waits in the block layer. */
  seq: number;
  /** Answered (or failed), or ended before the driver took it. */
  answered: boolean;
}

/** A FLUSH as the check knows it (flushIssued's answer). */
export interface FlushOrderFlush {
  readonly id: number;
  readonly issuedNs: number;
  startedNs: number;
  seq: number;
  /** Some write the driver took was unanswered when it took the FLUSH. */
  behind: boolean;
  answered: boolean;
}

/** Violations kept for the report (the count is exact; the list is bounded). */
const KEEP = 16;

export class FlushOrder {
  /** Writes the driver took, in its order; answered ones leave from the front (or at a compaction). */
  private taken: FlushOrderWrite[] = [];
  private takenHead = 0;
  /** Writes taken and unanswered. */
  private unanswered = 0;
  private readonly violations: FlushOrderViolation[] = [];
  private nextSeq = 0;
  private violationCount = 0;
  private checked = 0;
  private behindWrites = 0;

  /** `id`s are the tap's request ids (unique per device), for the report. */
  writeIssued(id: number, offset: number, length: number, nowNs: number): FlushOrderWrite {
    return { id, offset, length, issuedNs: nowNs, startedNs: -1, seq: -1, answered: false };
  }

  flushIssued(id: number, nowNs: number): FlushOrderFlush {
    return { id, issuedNs: nowNs, startedNs: -1, seq: -1, behind: false, answered: false };
  }

  /** The driver took a write (the first time counts; a requeued one is taken again). */
  writeStarted(w: FlushOrderWrite, nowNs: number): void {
    if (w.seq >= 0 || w.answered) return;
    w.startedNs = nowNs;
    w.seq = this.nextSeq++;
    this.taken.push(w);
    this.unanswered++;
  }

  /** The driver took a FLUSH (the first time counts). */
  flushStarted(f: FlushOrderFlush, nowNs: number): void {
    if (f.seq >= 0 || f.answered) return;
    f.startedNs = nowNs;
    f.seq = this.nextSeq++;
    f.behind = this.unanswered > 0;
  }

  /** The write's completion reached its submitter (success or failure: it was answered). */
  writeDone(w: FlushOrderWrite): void {
    if (w.answered) return;
    w.answered = true;
    if (w.seq < 0) return;
    this.unanswered--;
    this.dropAnswered();
  }

  flushDone(f: FlushOrderFlush, ok: boolean, nowNs: number): void {
    if (f.answered) return;
    f.answered = true;
    if (!ok || f.seq < 0) return;
    this.checked++;
    if (f.behind) this.behindWrites++;
    if (this.unanswered === 0) return;
    this.dropAnswered();
    const w = this.taken[this.takenHead]!;
    if (w.seq > f.seq) return;
    this.violationCount++;
    if (this.violations.length >= KEEP) return;
    this.violations.push({
      flushId: f.id, writeId: w.id,
      message: `FLUSH op ${f.id} (issued ${t(f.issuedNs)}, taken by the driver ${t(f.startedNs)}) completed at ${t(nowNs)} while write op ${w.id} ${formatByteRange(w.offset, w.length)} taken before it (issued ${t(w.issuedNs)}, taken ${t(w.startedNs)}) was still unacknowledged`,
    });
  }

  /**
   * Drops answered writes from the front. The list is rebuilt from its unanswered writes when the
   * dropped front grows long, or when answered writes behind an old unanswered one pile up.
   */
  private dropAnswered(): void {
    const q = this.taken;
    let h = this.takenHead;
    while (h < q.length && q[h]!.answered) q[h++] = undefined as never;
    if (h === q.length) {
      q.length = 0;
      h = 0;
    } else if (h >= 1024 || q.length - h > 2 * this.unanswered + 64) {
      this.taken = q.slice(h).filter((w) => !w.answered);
      h = 0;
    }
    this.takenHead = h;
  }

  report(): FlushOrderReport {
    return { ok: this.violationCount === 0, checked: this.checked, behindWrites: this.behindWrites, violations: this.violations.slice() };
  }

  /** Every violation, including those beyond the kept list. */
  get violationTotal(): number {
    return this.violationCount;
  }
}
