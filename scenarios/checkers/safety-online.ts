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
import { PageTable } from '../../hw-sim/disk/page-table.ts';
import type { Ns } from '../schema/types.ts';
import { INITIAL_CONTENT, type OpKind } from './history.ts';
import { NEVER, violationOf, type Pending, type SafetyReport, type SafetyViolation, type Source, type WriteInfo } from './safety-rules.ts';
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

interface BlockState {
  sources: Source[];
  /** The newest source pruned (a stale read usually returns it: named in the violation). */
  lastPruned: Source | null;
}

/** A read in flight. */
export interface ReadHandle {
  readonly id: number;
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: Ns;
}

const INITIAL_INFO: WriteInfo = {
  id: -1, kind: 'write', issuedNs: -1, completedNs: -1, acked: true, durableNs: -1, permanent: true, offset: 0, length: 0,
};
const INITIAL: Source = { w: INITIAL_INFO, content: INITIAL_CONTENT };

export class OnlineSafety {
  readonly blockSize: number;
  private readonly prune: boolean;
  private readonly crashesPossible: boolean;
  private readonly skipLastBlock: boolean;
  private readonly blocks = new PageTable<BlockState>();
  private readonly crashes: Ns[] = [];
  /** Reads in flight by id, in issue order (the first is the oldest). */
  private readonly reads = new Map<number, ReadHandle>();
  /** Acknowledged plain writes waiting for a FLUSH, in acknowledgement order. */
  private readonly undurable: WriteInfo[] = [];
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
    let sources = 0;
    this.blocks.forEach((b) => { sources += b.sources.length; });
    return { blocks: this.blocks.size, sources };
  }

  /** A write, FUA write or trim issued now; `contents` has one content id per block (none for a trim). */
  writeIssued(id: number, kind: OpKind, offset: number, length: number, contents: ArrayLike<number> | undefined, now: Ns): WriteInfo {
    const w: WriteInfo = { id, kind, issuedNs: now, completedNs: NEVER, acked: false, durableNs: NEVER, permanent: false, offset, length };
    const first = offset / this.blockSize;
    const n = length / this.blockSize;
    const oldestRead = this.oldestReadNs();
    // One source per run of blocks with the same content (a verify write has one id for all its blocks).
    let src: Source | null = null;
    for (let k = 0; k < n; k++) {
      const content = contents === undefined ? undefined : contents[k]!;
      if (content !== undefined && content > this.maxContent) this.maxContent = content;
      if (src === null || src.content !== content) src = { w, content };
      const b = this.addSource(first + k, src);
      if (content !== undefined && this.pending.length > 0) this.explainFuture(first + k, content, w);
      // With one older source nothing can go: it would be ruled out by itself, and this write is not acknowledged.
      if (this.prune && b.sources.length > 2) this.pruneBlock(b, oldestRead);
    }
    return w;
  }

  writeDone(w: WriteInfo, ok: boolean, now: Ns): void {
    w.completedNs = now;
    if (!ok) return; // a failed write may or may not have landed: it stays a candidate for good
    w.acked = true;
    if (w.kind === 'fua-write') {
      w.durableNs = now;
      w.permanent = true;
    } else if (w.kind === 'write') {
      if (this.crashesPossible) this.undurable.push(w);
      else w.permanent = true;
    } else if (!this.crashesPossible) w.permanent = true; // a trim is never durable: it rolls back in any crash
    if (w.permanent && this.prune) this.pruneRange(w);
  }

  /** A FLUSH issued at `issuedNs` completed now: every write acknowledged by then is durable. */
  flushDone(issuedNs: Ns, ok: boolean, now: Ns): void {
    if (!ok) return;
    const q = this.undurable;
    while (this.undurableHead < q.length && q[this.undurableHead]!.completedNs <= issuedNs) {
      const w = q[this.undurableHead]!;
      q[this.undurableHead++] = undefined as never;
      w.durableNs = now;
      // Durable for good unless a crash came between its issue and now (a reply on the wire at power loss).
      w.permanent = this.firstCrashAfter(w.issuedNs) >= now;
      if (w.permanent && this.prune) this.pruneRange(w);
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

  /**
   * Appends a source to a block's list. A block's list is made with room for two (a write and its
   * overwrite, all a sequential run holds): a push onto an empty list reserves 17 slots, which
   * pruning never gives back, and a quarter million blocks of that were most of the checker's
   * heap (and of the GC's work copying it).
   */
  private addSource(i: number, src: Source): BlockState {
    const b = this.blocks.get(i);
    if (b !== undefined) {
      b.sources.push(src);
      return b;
    }
    const sources = [src, src];
    sources.length = 1;
    const fresh: BlockState = { sources, lastPruned: null };
    this.blocks.set(i, fresh);
    return fresh;
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
    const sources = this.blocks.get(block)?.sources;
    // The overwrite that rules out the most: the acknowledged write, issued latest, that still
    // counts for this read (durable across any crash between its ack and the read's end).
    let cut: Source | undefined;
    let cutCrash = NEVER;
    if (sources) {
      for (let i = 0; i < sources.length; i++) {
        const s = sources[i]!;
        const w = s.w;
        if (!w.acked || w.completedNs >= r.issuedNs) continue;
        // A plain write whose reply arrives after a crash may have been served before it and lost with
        // the volatile cache; a FUA write was durable when the server replied.
        const crash = this.firstCrashAfter(w.kind === 'fua-write' ? w.completedNs : w.issuedNs);
        if (crash < readDone && w.durableNs > crash) continue;
        if (!cut || w.issuedNs > cut.w.issuedNs) {
          cut = s;
          cutCrash = crash < readDone ? crash : NEVER;
        }
      }
    }
    if (!cut && seen === INITIAL_CONTENT) return;
    const cutIssued = cut ? cut.w.issuedNs : -1;
    if (sources) {
      for (let i = 0; i < sources.length; i++) {
        const s = sources[i]!;
        const w = s.w;
        if (w.issuedNs < readDone && (!w.acked || !cut || w.completedNs >= cutIssued) && (s.content === undefined || s.content === seen)) return;
      }
    }
    const live = (s: Source): boolean => s.w.issuedNs < readDone && (!s.w.acked || !cut || s.w.completedNs >= cutIssued);
    const allowed = [...(cut ? [] : [INITIAL]), ...(sources ?? []).filter(live)];
    const lastPruned = this.blocks.get(block)?.lastPruned;
    const from = seen === INITIAL_CONTENT ? INITIAL
      : sources?.find((s) => s.content === seen) ?? (lastPruned?.content === seen ? lastPruned : undefined);
    const p: Pending = { block, readId: r.id, readIssuedNs: r.issuedNs, readCompletedNs: readDone, seen, allowed, cut, cutCrash, maxContent: this.maxContent };
    if (!from) {
      this.pending.push(p);
      return;
    }
    const kind = from.w.issuedNs >= readDone ? 'future-read' : cutCrash !== NEVER ? 'lost-durable-write' : 'stale-read';
    this.violations.push(violationOf(p, kind, from));
  }

  /** A write issued now carries content a read already returned: that read saw the future. */
  private explainFuture(block: number, content: number, w: WriteInfo): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if (p.block !== block || p.seen !== content) continue;
      this.pending.splice(i--, 1);
      this.violations.push(violationOf(p, 'future-read', { w, content }));
    }
  }

  private pruneRange(w: WriteInfo): void {
    const first = w.offset / this.blockSize;
    const n = w.length / this.blockSize;
    const oldestRead = this.oldestReadNs();
    for (let k = 0; k < n; k++) {
      const b = this.blocks.get(first + k);
      if (b && b.sources.length > 1) this.pruneBlock(b, oldestRead);
    }
  }

  /**
   * Drops the acknowledged writes of a block that a permanent overwrite rules out for every read
   * still to complete: one acknowledged (and durable, when crashes may come) before the oldest
   * read in flight was issued (`oldestRead`, see oldestReadNs), and issued after they were acknowledged.
   */
  private pruneBlock(b: BlockState, oldestRead: Ns): void {
    let best: WriteInfo | undefined;
    const sources = b.sources;
    for (let i = 0; i < sources.length; i++) {
      const w = sources[i]!.w;
      if (w.permanent && w.completedNs < oldestRead && (!best || w.issuedNs > best.issuedNs)) best = w;
    }
    if (!best) return;
    const cutIssued = best.issuedNs;
    let kept = 0;
    const src = b.sources;
    for (let i = 0; i < src.length; i++) {
      const s = src[i]!;
      if (s.w.acked && s.w.completedNs < cutIssued) {
        if (!b.lastPruned || s.w.issuedNs > b.lastPruned.w.issuedNs) b.lastPruned = s;
      } else src[kept++] = s;
    }
    // pop, not a length store: that one is a runtime call (an accessor), pop is inlined.
    while (src.length > kept) src.pop();
  }
}
