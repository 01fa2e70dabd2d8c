/**
 * Crash loss: that a server crash really dropped unflushed data somewhere — the crash model is
 * exercised, not assumed. Fed online by the history tap. A loss is observed when a block's last
 * write acknowledged before a crash is not what the first read issued after the crash returns,
 * with no write to that block issued after the crash (or in flight at it). Whether such a loss
 * was allowed (the write was not durable) is the safety checker's question; this one only asks
 * that one happened. Memory: one entry per block written.
 */
import { formatNsExact as t } from './units.ts';

export interface CrashLossReport {
  /** Blocks whose acknowledged pre-crash content the first read after the crash did not return. */
  readonly blocksLost: number;
  /** Blocks with acknowledged pre-crash content that a read after the crash looked at. */
  readonly blocksChecked: number;
  /** The first loss, for the message. */
  readonly example: string | undefined;
}

/** What the tap tells a crash-loss observer (ids: content id per block; undefined when unknown, e.g. a trim). */
export interface TapObserver {
  writeIssued(id: number, offset: number, length: number, ids: readonly number[] | undefined): void;
  writeDone(id: number, ok: boolean, nowNs: number): void;
  readDone(offset: number, length: number, issuedNs: number, ids: readonly number[] | undefined): void;
  crash(atNs: number): void;
}

/** Content of a block is unknown (a failed write, a trim, a write in flight at a crash). */
const UNKNOWN = -1;

export class CrashLoss implements TapObserver {
  /** block → last acknowledged content (UNKNOWN once it cannot be told). */
  private readonly acked = new Map<number, number>();
  /** block → completion time of that acknowledgement. */
  private readonly ackedAt = new Map<number, number>();
  /** Writes in flight: id → [first block, content ids (undefined: unknown)]. */
  private readonly inFlight = new Map<number, { first: number; n: number; ids: number[] | undefined }>();
  /** Since the last crash: blocks whose pre-crash content a read may still check. */
  private candidates = new Map<number, number>();
  private crashNs = -1;
  private lost = 0;
  private checked = 0;
  private example: string | undefined;

  constructor(private readonly blockSize: number) {}

  writeIssued(id: number, offset: number, length: number, ids: readonly number[] | undefined): void {
    const first = offset / this.blockSize;
    const n = length / this.blockSize;
    this.inFlight.set(id, { first, n, ids: ids ? ids.slice(0, n) : undefined });
    for (let i = 0; i < n; i++) this.candidates.delete(first + i);
  }

  writeDone(id: number, ok: boolean, nowNs: number): void {
    const w = this.inFlight.get(id);
    if (!w) return;
    this.inFlight.delete(id);
    for (let i = 0; i < w.n; i++) {
      const b = w.first + i;
      if (!ok || !w.ids) this.acked.set(b, UNKNOWN);
      else if ((this.ackedAt.get(b) ?? -1) <= nowNs) this.acked.set(b, w.ids[i]!);
      this.ackedAt.set(b, nowNs);
    }
  }

  readDone(offset: number, length: number, issuedNs: number, ids: readonly number[] | undefined): void {
    if (this.crashNs < 0 || issuedNs < this.crashNs || this.candidates.size === 0) return;
    const first = offset / this.blockSize;
    const n = length / this.blockSize;
    for (let i = 0; i < n; i++) {
      const b = first + i;
      const want = this.candidates.get(b);
      if (want === undefined) continue;
      this.candidates.delete(b);
      if (!ids) continue;
      this.checked++;
      if (ids[i] === want) continue;
      this.lost++;
      this.example ??= `block ${b}: content ${want} acknowledged before the crash at ${t(this.crashNs)}, the first read after it saw ${ids[i]}`;
    }
  }

  crash(atNs: number): void {
    this.crashNs = atNs;
    // A write in flight at the crash may or may not have been applied: its blocks are unknown.
    for (const w of this.inFlight.values()) for (let i = 0; i < w.n; i++) this.acked.set(w.first + i, UNKNOWN);
    const c = new Map<number, number>();
    for (const [b, content] of this.acked) if (content !== UNKNOWN) c.set(b, content);
    this.candidates = c;
  }

  report(): CrashLossReport {
    return { blocksLost: this.lost, blocksChecked: this.checked, example: this.example };
  }
}
