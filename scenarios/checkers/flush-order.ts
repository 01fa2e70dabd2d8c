/**
 * FLUSH order: a FLUSH completes only after every write issued before it is answered.
 *
 * What the project promises (docs/architecture.md, NBD driver): "FLUSH waits for the replies of
 * every earlier write on every connection" (drivers/nbd/flush-barrier.ts). Linux's block layer
 * alone promises less — a flush covers the writes already completed — so this is the driver's
 * promise, observed at the block-device boundary (the history tap) per device: when a FLUSH is
 * acknowledged to its submitter, every write, FUA write, trim or write-zeroes submitted to the
 * same device before the FLUSH was submitted must have been acknowledged (or failed) already.
 * A failed FLUSH promises nothing and is not checked. Devices without a volatile write cache are
 * not checked: their empty FLUSH never reaches the driver (the block layer ends it at once).
 *
 * Online and cheap: writes in flight are kept in issue order (a Map keeps insertion order), so a
 * FLUSH completion only looks at the oldest write still unanswered.
 */
import { formatByteRange, formatNsExact as t } from './units.ts';

export interface FlushOrderViolation {
  readonly flushId: number;
  readonly writeId: number;
  readonly message: string;
}

export interface FlushOrderReport {
  readonly ok: boolean;
  /** FLUSH completions checked (successful ones). */
  readonly checked: number;
  /** Of those, FLUSHes issued while some write was in flight (the ones the rule had work on). */
  readonly behindWrites: number;
  readonly violations: readonly FlushOrderViolation[];
}

interface InFlightWrite {
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: number;
}

interface InFlightFlush {
  readonly issuedNs: number;
  /** Some write was in flight when it was issued. */
  readonly behind: boolean;
}

/** Violations kept for the report (the count is exact; the list is bounded). */
const KEEP = 16;

export class FlushOrder {
  private readonly writes = new Map<number, InFlightWrite>();
  private readonly flushes = new Map<number, InFlightFlush>();
  private readonly violations: FlushOrderViolation[] = [];
  private violationCount = 0;
  private checked = 0;
  private behindWrites = 0;

  /** `id`s are the tap's request ids: increasing in issue order over every kind of request. */
  writeIssued(id: number, offset: number, length: number, nowNs: number): void {
    this.writes.set(id, { offset, length, issuedNs: nowNs });
  }

  /** The write's completion reached its submitter (success or failure: it was answered). */
  writeDone(id: number): void {
    this.writes.delete(id);
  }

  flushIssued(id: number, nowNs: number): void {
    this.flushes.set(id, { issuedNs: nowNs, behind: this.writes.size > 0 });
  }

  flushDone(id: number, ok: boolean, nowNs: number): void {
    const f = this.flushes.get(id);
    if (!f) return;
    this.flushes.delete(id);
    if (!ok) return;
    this.checked++;
    if (f.behind) this.behindWrites++;
    const oldest = this.writes.entries().next();
    if (oldest.done === true) return;
    const [writeId, w] = oldest.value;
    if (writeId > id) return;
    this.violationCount++;
    if (this.violations.length >= KEEP) return;
    this.violations.push({
      flushId: id, writeId,
      message: `FLUSH op ${id} (issued ${t(f.issuedNs)}) completed at ${t(nowNs)} while write op ${writeId} ${formatByteRange(w.offset, w.length)} issued before it (at ${t(w.issuedNs)}) was still unacknowledged`,
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
