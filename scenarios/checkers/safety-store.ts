/**
 * The online safety checker's state as numbers (safety-online.ts): the writes it holds in rows
 * of typed arrays, and per block the writes it could return as (write slot, content) pairs. A
 * sustained run holds a quarter million blocks; as objects (a record and a list per block, a
 * source per write) every write stored ~32 pointers into old objects, and the young GC's work
 * on them cost more than the checker's code. Indexes stay int32 (shifts, not products of
 * doubles) and field numbers are enum members, which the compiler writes as literals (the
 * checker reads fields through the accessors here, which inline).
 */
import type { OpKind } from './history.ts';
import { NEVER, type WriteInfo } from './safety-rules.ts';

/** A write's times and extent: Float64 row of 8 at slot << 3. */
const enum T { Issued = 0, Done = 1, Durable = 2, Id = 3, Offset = 4, Length = 5 }
/** A write's flags: Int32 row of 4 at slot << 2. Permanent: rules out older writes for every later read. */
const enum F { Kind = 0, Acked = 1, Permanent = 2, Refs = 3 }
const enum Kind { Write = 0, Fua = 1, Trim = 2 }
const KIND_NAMES: readonly OpKind[] = ['write', 'fua-write', 'trim'];

/** Writes by slot; a slot is reused once nothing holds it (blocks, the caller until completion, queues). */
export class WriteTable {
  /** Rows (replaced when they grow: read them afresh after an add). */
  t = new Float64Array(256 * 8);
  f = new Int32Array(256 * 4);
  private top = 0;
  private readonly free: number[] = [];

  /** A new row, held once (by the caller, until it completes). */
  add(id: number, op: OpKind, issuedNs: number, offset: number, length: number): number {
    const kind = op === 'write' ? Kind.Write : op === 'fua-write' ? Kind.Fua : Kind.Trim;
    let slot: number;
    if (this.free.length > 0) slot = this.free.pop()!;
    else {
      slot = this.top++;
      if (slot << 2 === this.f.length) {
        this.t = grown(this.t);
        const f = new Int32Array(this.f.length * 2);
        f.set(this.f);
        this.f = f;
      }
    }
    const t = this.t;
    const r = slot << 3;
    t[r + T.Issued] = issuedNs;
    t[r + T.Done] = NEVER;
    t[r + T.Durable] = NEVER;
    t[r + T.Id] = id;
    t[r + T.Offset] = offset;
    t[r + T.Length] = length;
    const f = this.f;
    const s = slot << 2;
    f[s + F.Kind] = kind;
    f[s + F.Acked] = 0;
    f[s + F.Permanent] = 0;
    f[s + F.Refs] = 1;
    return slot;
  }

  id(slot: number): number {
    return this.t[(slot << 3) + T.Id]!;
  }

  kind(slot: number): OpKind {
    return KIND_NAMES[this.f[(slot << 2) + F.Kind]!]!;
  }

  isFua(slot: number): boolean {
    return this.f[(slot << 2) + F.Kind] === Kind.Fua;
  }

  isPlainWrite(slot: number): boolean {
    return this.f[(slot << 2) + F.Kind] === Kind.Write;
  }

  issued(slot: number): number {
    return this.t[(slot << 3) + T.Issued]!;
  }

  /** NEVER while in flight. */
  done(slot: number): number {
    return this.t[(slot << 3) + T.Done]!;
  }

  /** When it became durable (FUA ack, or the completion of a FLUSH issued after its ack); NEVER until then. */
  durable(slot: number): number {
    return this.t[(slot << 3) + T.Durable]!;
  }

  /** Completed successfully. */
  acked(slot: number): boolean {
    return this.f[(slot << 2) + F.Acked] === 1;
  }

  /** Rules out older writes for every later read: acknowledged, and durable before any crash after its issue. */
  permanent(slot: number): boolean {
    return this.f[(slot << 2) + F.Permanent] === 1;
  }

  offset(slot: number): number {
    return this.t[(slot << 3) + T.Offset]!;
  }

  length(slot: number): number {
    return this.t[(slot << 3) + T.Length]!;
  }

  setDone(slot: number, ns: number, acked: boolean): void {
    this.t[(slot << 3) + T.Done] = ns;
    if (acked) this.f[(slot << 2) + F.Acked] = 1;
  }

  setDurable(slot: number, ns: number): void {
    this.t[(slot << 3) + T.Durable] = ns;
  }

  setPermanent(slot: number, permanent: boolean): void {
    this.f[(slot << 2) + F.Permanent] = permanent ? 1 : 0;
  }

  hold(slot: number, times = 1): void {
    this.f[(slot << 2) + F.Refs]! += times;
  }

  release(slot: number): void {
    if (--this.f[(slot << 2) + F.Refs]! === 0) this.free.push(slot);
  }

  /** The write in `slot` as a violation names it, read when its message is written (hold it meanwhile). */
  view(slot: number): WriteInfo {
    return new WriteView(this, slot);
  }
}

class WriteView implements WriteInfo {
  constructor(private readonly table: WriteTable, private readonly slot: number) {}
  get id(): number {
    return this.table.id(this.slot);
  }
  get kind(): OpKind {
    return this.table.kind(this.slot);
  }
  get issuedNs(): number {
    return this.table.issued(this.slot);
  }
  get completedNs(): number {
    return this.table.done(this.slot);
  }
}

/** Blocks per leaf. */
const LEAF = 1024;
/** A block's record: Int32 row of 4 at its index in the leaf << 2. Room 0: never written. */
const enum R { Count = 0, Base = 1, Room = 2, PrunedPlusOne = 3 }

/**
 * Per block, the writes it could return in order of arrival, as (slot, content) pairs in a pool
 * (a trim's content is NaN), with the newest source pruned (a stale read usually returns it).
 * Records are leaves of LEAF blocks, walked a leaf at a time. A block's room starts at two pairs
 * (a write and its overwrite, all a sequential run holds) and doubles when needed; pruning never
 * gives it back.
 */
export class BlockSources {
  private readonly recLeaves: (Int32Array | undefined)[] = [];
  private readonly prunedLeaves: (Float64Array | undefined)[] = [];
  /** Set by locate: the leaf of the block and its index there. */
  private rec: Int32Array = new Int32Array(0);
  private at = 0;
  /** Pairs: write slots and contents. */
  poolW = new Int32Array(4096);
  poolC = new Float64Array(4096);
  private poolTop = 0;
  /** Freed runs of the pool by log2 of their room. */
  private readonly freeRuns: number[][] = [];
  /** Blocks ever written. */
  blocks = 0;

  constructor(private readonly writes: WriteTable) {}

  /**
   * Appends (slot, contents[k]) to the sources of blocks first..first+n-1 (NaN for every block
   * when contents is undefined), each holding the slot; true when one now holds more than two.
   */
  appendRange(first: number, n: number, slot: number, contents: ArrayLike<number> | undefined): boolean {
    this.writes.hold(slot, n);
    let crowded = false;
    for (let b = first, k = 0; k < n;) {
      const hi = Math.floor(b / LEAF);
      const rec = this.leaf(hi);
      const from = b - hi * LEAF;
      const to = Math.min(LEAF, from + n - k);
      for (let lo = from; lo < to; lo++, k++) {
        const r = lo << 2;
        if (rec[r + R.Room] === 0) this.open(rec, r);
        const count = rec[r + R.Count]!;
        if (count === rec[r + R.Room]) this.widen(rec, r, count);
        const i = rec[r + R.Base]! + count;
        this.poolW[i] = slot;
        this.poolC[i] = contents === undefined ? NaN : contents[k]!;
        rec[r + R.Count] = count + 1;
        if (count >= 2) crowded = true;
      }
      b += to - from;
    }
    return crowded;
  }

  /**
   * In blocks first..first+n-1 that hold at least `atLeast` sources, drops the acknowledged writes
   * that a permanent overwrite rules out for every read still to complete: one acknowledged (and
   * durable, when crashes may come) before `oldestRead` (issue of the oldest read in flight), and
   * issued after they were acknowledged. The newest dropped is kept as the block's last pruned.
   */
  pruneRange(first: number, n: number, oldestRead: number, atLeast: number): void {
    const t = this.writes.t;
    const f = this.writes.f;
    const poolW = this.poolW;
    const poolC = this.poolC;
    for (let b = first, k = 0; k < n;) {
      const hi = Math.floor(b / LEAF);
      const from = b - hi * LEAF;
      const to = Math.min(LEAF, from + n - k);
      k += to - from;
      b += to - from;
      const rec = this.recLeaves[hi];
      if (rec === undefined) continue;
      const pruned = this.prunedLeaves[hi]!;
      for (let lo = from; lo < to; lo++) {
        const r = lo << 2;
        const base = rec[r + R.Base]!;
        const end = base + rec[r + R.Count]!;
        if (end - base < atLeast) continue;
        let best = -1;
        let cut = 0;
        for (let i = base; i < end; i++) {
          const w = poolW[i]!;
          if (f[(w << 2) + F.Permanent] === 1 && t[(w << 3) + T.Done]! < oldestRead && (best < 0 || t[(w << 3) + T.Issued]! > cut)) {
            best = w;
            cut = t[(w << 3) + T.Issued]!;
          }
        }
        if (best < 0) continue;
        let kept = base;
        let last = rec[r + R.PrunedPlusOne]! - 1;
        for (let i = base; i < end; i++) {
          const w = poolW[i]!;
          if (f[(w << 2) + F.Acked] === 1 && t[(w << 3) + T.Done]! < cut) {
            if (last < 0 || t[(w << 3) + T.Issued]! > t[(last << 3) + T.Issued]!) {
              if (last >= 0) this.writes.release(last);
              last = w;
              pruned[lo] = poolC[i]!;
            } else this.writes.release(w);
          } else {
            poolW[kept] = w;
            poolC[kept] = poolC[i]!;
            kept++;
          }
        }
        rec[r + R.PrunedPlusOne] = last + 1;
        rec[r + R.Count] = kept - base;
      }
    }
  }

  /** Points the accessors below at `block`; false when it was never written. */
  locate(block: number): boolean {
    const hi = Math.floor(block / LEAF);
    const rec = this.recLeaves[hi];
    if (rec === undefined) return false;
    this.rec = rec;
    this.at = block - hi * LEAF;
    this.prunedContentAt = this.prunedLeaves[hi]![this.at]!;
    return rec[(this.at << 2) + R.Room] !== 0;
  }

  /** Sources of the located block. */
  count(): number {
    return this.rec[(this.at << 2) + R.Count]!;
  }

  /** Its first pair in the pool. */
  base(): number {
    return this.rec[(this.at << 2) + R.Base]!;
  }

  /** Slot of the newest source pruned from the located block, -1 for none, and its content. */
  pruned(): number {
    return this.rec[(this.at << 2) + R.PrunedPlusOne]! - 1;
  }

  prunedContentAt = NaN;

  /** Sources held in all blocks. */
  sources(): number {
    let n = 0;
    for (const rec of this.recLeaves) if (rec) for (let r = 0; r < rec.length; r += 4) n += rec[r + R.Count]!;
    return n;
  }

  private leaf(hi: number): Int32Array {
    let rec = this.recLeaves[hi];
    if (rec === undefined) {
      rec = new Int32Array(LEAF * 4);
      this.recLeaves[hi] = rec;
      this.prunedLeaves[hi] = new Float64Array(LEAF);
    }
    return rec;
  }

  /** A block's first write: room for two sources. */
  private open(rec: Int32Array, r: number): void {
    rec[r + R.Base] = this.allocRun(2);
    rec[r + R.Room] = 2;
    this.blocks++;
  }

  private widen(rec: Int32Array, r: number, n: number): void {
    const from = rec[r + R.Base]!;
    const to = this.allocRun(n * 2);
    this.poolW.copyWithin(to, from, from + n);
    this.poolC.copyWithin(to, from, from + n);
    (this.freeRuns[Math.log2(n)] ??= []).push(from);
    rec[r + R.Base] = to;
    rec[r + R.Room] = n * 2;
  }

  /** A run of `room` pairs (a power of two); returns its first pair. */
  private allocRun(room: number): number {
    const free = this.freeRuns[Math.log2(room)];
    if (free !== undefined && free.length > 0) return free.pop()!;
    const at = this.poolTop;
    this.poolTop += room;
    if (this.poolTop > this.poolW.length) {
      const w = new Int32Array(this.poolW.length * 2);
      w.set(this.poolW);
      this.poolW = w;
      this.poolC = grown(this.poolC);
    }
    return at;
  }
}

function grown(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
