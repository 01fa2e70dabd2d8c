/**
 * The safety checker, online: fed each operation as it is issued and completed (in time order),
 * it checks every read when it completes and keeps, per block, only the writes a read could
 * still return — the latest acknowledged ones, those in flight or failed, and those not yet
 * durable when a crash may still come. Memory follows the data footprint, not the data volume.
 *
 * The rules are those of checkSafety (safety.ts), evaluated at the read's completion: every
 * fact they use about the past is known then, and facts about the future (a FLUSH completing
 * later) only matter against crashes before the read completed, which are past.
 */
import type { Ns } from '../schema/types.ts';
import { INITIAL_CONTENT, type OpKind } from './history.ts';
import { NEVER, violationOf, type Pending, type SafetyReport, type SafetyViolation, type Source, type WriteInfo } from './safety-rules.ts';
import { BlockSources, WriteTable } from './safety-store.ts';
import { formatNsExact } from './units.ts';

export interface OnlineSafetyOptions {
  readonly blockSize: number;
  /**
   * Drop writes no later read can return (default true). Off, every write is kept: replayed
   * histories of arbitrary content ids can then tell a never-written content from an overwritten one.
   */
  readonly prune?: boolean;
  /**
   * A crash may still come (default true): a write counts against older ones for good only once
   * durable. A run without crashes on its timeline sets false and prunes at each acknowledgement.
   */
  readonly crashesPossible?: boolean;
  /** Injected bug safety-skips-block: the last block of a multi-block read goes unchecked. */
  readonly skipLastBlock?: boolean;
}

/** A write in flight (its slot in the checker's table, handed back at its completion). */
export type WriteHandle = number;

/** A read in flight. */
export interface ReadHandle {
  readonly id: number;
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: Ns;
}

const INITIAL_INFO: WriteInfo = { id: -1, kind: 'write', issuedNs: -1, completedNs: -1 };
const INITIAL: Source = { w: INITIAL_INFO, content: INITIAL_CONTENT };

export class OnlineSafety {
  readonly blockSize: number;
  private readonly prune: boolean;
  private readonly crashesPossible: boolean;
  private readonly skipLastBlock: boolean;
  private readonly writes = new WriteTable();
  private readonly blocks = new BlockSources(this.writes);
  private readonly crashes: Ns[] = [];
  /** Reads in flight by id, in issue order (the first is the oldest). */
  private readonly reads = new Map<number, ReadHandle>();
  /** Acknowledged plain writes (slots) waiting for a FLUSH, in acknowledgement order. */
  private readonly undurable: number[] = [];
  private undurableHead = 0;
  /** Reads whose content matched no write held: a later write may still explain it (future-read). */
  private readonly pending: Pending[] = [];
  private readonly violations: SafetyViolation[] = [];
  private maxContent = INITIAL_CONTENT;
  private readsChecked = 0;
  private blocksChecked = 0;

  constructor(o: OnlineSafetyOptions) {
    this.blockSize = o.blockSize;
    this.prune = o.prune ?? true;
    this.crashesPossible = o.crashesPossible ?? true;
    this.skipLastBlock = o.skipLastBlock ?? false;
  }

  /** Writes and blocks held now (for memory tests and reports). */
  get held(): { blocks: number; sources: number } {
    return { blocks: this.blocks.blocks, sources: this.blocks.sources() };
  }

  /** A write, FUA write or trim issued now; `contents` has one content id per block (none for a trim). */
  writeIssued(id: number, kind: OpKind, offset: number, length: number, contents: ArrayLike<number> | undefined, now: Ns): WriteHandle {
    const w = this.writes.add(id, kind, now, offset, length);
    const first = offset / this.blockSize;
    const n = length / this.blockSize;
    if (contents !== undefined) for (let k = 0; k < n; k++) if (contents[k]! > this.maxContent) this.maxContent = contents[k]!;
    const crowded = this.blocks.appendRange(first, n, w, contents);
    if (contents !== undefined && this.pending.length > 0) for (let k = 0; k < n; k++) this.explainFuture(first + k, contents[k]!, w);
    // With one older source nothing can go: it would be ruled out by itself, and this write is not acknowledged.
    if (this.prune && crowded) this.blocks.pruneRange(first, n, this.oldestReadNs(), 3);
    return w;
  }

  writeDone(w: WriteHandle, ok: boolean, now: Ns): void {
    const writes = this.writes;
    writes.setDone(w, now, ok);
    // A failed write may or may not have landed: it stays a candidate for good.
    if (ok) {
      if (writes.isFua(w)) {
        writes.setDurable(w, now);
        writes.setPermanent(w, true);
      } else if (writes.isPlainWrite(w)) {
        if (!this.crashesPossible) writes.setPermanent(w, true);
        else {
          writes.hold(w);
          this.undurable.push(w);
        }
      } else if (!this.crashesPossible) writes.setPermanent(w, true); // a trim is never durable: it rolls back in any crash
      if (writes.permanent(w) && this.prune) this.pruneRange(w);
    }
    writes.release(w);
  }

  /** A FLUSH issued at `issuedNs` completed now: every write acknowledged by then is durable. */
  flushDone(issuedNs: Ns, ok: boolean, now: Ns): void {
    if (!ok) return;
    const q = this.undurable;
    const writes = this.writes;
    while (this.undurableHead < q.length && writes.done(q[this.undurableHead]!) <= issuedNs) {
      const w = q[this.undurableHead++]!;
      writes.setDurable(w, now);
      // Durable for good unless a crash came between its issue and now (a reply on the wire at power loss).
      writes.setPermanent(w, this.firstCrashAfter(writes.issued(w)) >= now);
      if (writes.permanent(w) && this.prune) this.pruneRange(w);
      writes.release(w);
    }
    if (this.undurableHead === q.length) {
      q.length = 0;
      this.undurableHead = 0;
    }
  }

  crash(now: Ns): void {
    if (!this.crashesPossible) throw new Error(`a crash at ${formatNsExact(now)} in a run the safety checker was told has none`);
    this.crashes.push(now);
  }

  readIssued(id: number, offset: number, length: number, now: Ns): ReadHandle {
    const r: ReadHandle = { id, offset, length, issuedNs: now };
    this.reads.set(id, r);
    return r;
  }

  /** The read completed now; `seen` (when ok and checkable) has the content id per block it returned. */
  readDone(r: ReadHandle, ok: boolean, seen: ArrayLike<number> | undefined, now: Ns): void {
    this.reads.delete(r.id);
    if (!ok || seen === undefined) return;
    this.readsChecked++;
    const first = r.offset / this.blockSize;
    const n = this.skipLastBlock && seen.length > 1 ? seen.length - 1 : seen.length; // injected bug
    for (let k = 0; k < n; k++) {
      this.blocksChecked++;
      this.checkBlock(first + k, r, seen[k]!, now);
    }
  }

  /** Violations so far, with every read still unexplained settled as it stands now. */
  report(): SafetyReport {
    const out = this.violations.slice();
    for (const p of this.pending) {
      // Content ids grow with issue order: one at or below the largest issued by the read's end was
      // written before, to this block (the tap checks the offset in the data), and overwritten.
      const older = this.prune && p.seen > INITIAL_CONTENT && p.seen <= p.maxContent;
      out.push(violationOf(p, older ? (p.cutCrash !== NEVER ? 'lost-durable-write' : 'stale-read') : 'unknown-content', undefined));
    }
    out.sort((a, b) => (a.readId ?? -1) - (b.readId ?? -1) || a.block - b.block);
    return { ok: out.length === 0, readsChecked: this.readsChecked, blocksChecked: this.blocksChecked, violations: out };
  }

  /** Issue time of the oldest read in flight (NEVER when none): once per operation, not per block. */
  private oldestReadNs(): Ns {
    if (this.reads.size === 0) return NEVER;
    for (const r of this.reads.values()) return r.issuedNs;
    return NEVER;
  }

  private firstCrashAfter(t: Ns): Ns {
    const c = this.crashes;
    for (let i = 0; i < c.length; i++) if (c[i]! > t) return c[i]!;
    return NEVER;
  }

  private checkBlock(block: number, r: ReadHandle, seen: number, readDone: Ns): void {
    const blocks = this.blocks;
    const writes = this.writes;
    const found = blocks.locate(block);
    const n = found ? blocks.count() : 0;
    const base = found ? blocks.base() : 0;
    const poolW = blocks.poolW;
    const poolC = blocks.poolC;
    // The overwrite that rules out the most: the acknowledged write, issued latest, that still
    // counts for this read (durable across any crash between its ack and the read's end).
    let cut = -1; // pool index of its pair
    let cutCrash = NEVER;
    for (let i = base; i < base + n; i++) {
      const w = poolW[i]!;
      if (!writes.acked(w) || writes.done(w) >= r.issuedNs) continue;
      // A plain write whose reply arrives after a crash may have been served before it and lost with
      // the volatile cache; a FUA write was durable when the server replied.
      const crash = this.firstCrashAfter(writes.isFua(w) ? writes.done(w) : writes.issued(w));
      if (crash < readDone && writes.durable(w) > crash) continue;
      if (cut < 0 || writes.issued(w) > writes.issued(poolW[cut]!)) {
        cut = i;
        cutCrash = crash < readDone ? crash : NEVER;
      }
    }
    if (cut < 0 && seen === INITIAL_CONTENT) return;
    const cutIssued = cut >= 0 ? writes.issued(poolW[cut]!) : -1;
    for (let i = base; i < base + n; i++) {
      const content = poolC[i]!;
      // NaN: a trim, anything goes.
      if (this.live(poolW[i]!, readDone, cut, cutIssued) && (content !== content || content === seen)) return;
    }
    // A violation, or a read a later write may explain: what it names is read from the writes
    // when its message is written, so a pending read holds them until then.
    const slots: number[] = [];
    const source = (slot: number, content: number): Source => {
      slots.push(slot);
      return { w: writes.view(slot), content: content === content ? content : undefined };
    };
    const allowed: Source[] = cut < 0 ? [INITIAL] : [];
    for (let i = base; i < base + n; i++) if (this.live(poolW[i]!, readDone, cut, cutIssued)) allowed.push(source(poolW[i]!, poolC[i]!));
    let from: Source | undefined;
    if (seen === INITIAL_CONTENT) from = INITIAL;
    else {
      for (let i = base; i < base + n && !from; i++) if (poolC[i] === seen) from = source(poolW[i]!, seen);
      if (!from && found && blocks.pruned() >= 0 && blocks.prunedContentAt === seen) from = source(blocks.pruned(), seen);
    }
    const p: Pending = {
      block, readId: r.id, readIssuedNs: r.issuedNs, readCompletedNs: readDone, seen, allowed,
      cut: cut < 0 ? undefined : source(poolW[cut]!, poolC[cut]!), cutCrash, maxContent: this.maxContent,
    };
    if (!from) {
      for (const slot of slots) writes.hold(slot);
      this.pending.push(p);
      return;
    }
    const kind = from.w.issuedNs >= readDone ? 'future-read' : cutCrash !== NEVER ? 'lost-durable-write' : 'stale-read';
    this.violations.push(violationOf(p, kind, from));
  }

  /** Whether the write in `slot` could still be current for a read ending at `readDone`, given the cut (a pool index, -1 for none). */
  private live(slot: number, readDone: Ns, cut: number, cutIssued: Ns): boolean {
    const writes = this.writes;
    return writes.issued(slot) < readDone && (!writes.acked(slot) || cut < 0 || writes.done(slot) >= cutIssued);
  }

  /** A write issued now carries content a read already returned: that read saw the future. */
  private explainFuture(block: number, content: number, w: WriteHandle): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if (p.block !== block || p.seen !== content) continue;
      this.pending.splice(i--, 1);
      this.violations.push(violationOf(p, 'future-read', { w: this.writes.view(w), content }));
    }
  }

  private pruneRange(w: WriteHandle): void {
    this.blocks.pruneRange(this.writes.offset(w) / this.blockSize, this.writes.length(w) / this.blockSize, this.oldestReadNs(), 2);
  }
}
