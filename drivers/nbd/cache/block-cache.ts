/**
 * The cache's data: `capacityBytes / 4 KiB` block slots in a slab of 1 MiB segments (allocated
 * as the cache fills, so memory follows what is cached, never beyond the capacity), an index
 * block number → slot, and per slot one bit per 512-byte sector for "valid", "dirty" (newer
 * than the server) and "writing" (a write-back of it is on the wire). Lookups, copies and
 * bookkeeping allocate nothing.
 */
import { makePolicy, type EvictionPolicy, type EvictionPolicyName } from './policy.ts';
import { SlotLinks, SlotList } from './slot-list.ts';
import { giveSegments, SEGMENT_BYTES, takeSegment } from './segment-pool.ts';
import { BlockTable } from './block-table.ts';

export const CACHE_BLOCK = 4096;
const SECTOR = 512;
const SECTORS = CACHE_BLOCK / SECTOR;
const FULL = (1 << SECTORS) - 1;
const SEG_BLOCKS = SEGMENT_BYTES / CACHE_BLOCK;
const NO_EPOCH = -1;

/** dst[dstOff, +n) = src[srcOff, +n): native memcpy without a subarray view. */
export function copyRange(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  (Buffer.prototype.copy as (this: Uint8Array, t: Uint8Array, ts: number, ss: number, se: number) => number).call(src, dst, dstOff, srcOff, srcOff + n);
}

/** Sector bits of block `b` that [offset, offset+length) covers. */
function maskOf(b: number, offset: number, end: number): number {
  const bs = b * CACHE_BLOCK;
  const from = Math.max(offset, bs) - bs;
  const to = Math.min(end, bs + CACHE_BLOCK) - bs;
  const s0 = Math.floor(from / SECTOR);
  const s1 = Math.ceil(to / SECTOR);
  return ((1 << s1) - 1) & ~((1 << s0) - 1);
}

export interface BlockCacheCounters {
  hits: number;
  misses: number;
  readAheadHits: number;
  evictions: number;
  inserts: number;
}

export class BlockCache {
  readonly slots: number;
  readonly policy: EvictionPolicy;
  /** Block number → slot + 1 (0: not cached). */
  private readonly index = new BlockTable();
  private readonly blockOf: Float64Array;
  readonly valid: Uint8Array;
  readonly dirty: Uint8Array;
  readonly writing: Uint8Array;
  /**
   * Reads in flight by block number: a cached block in their range will overlay their reply with
   * its newer sectors, so it is not evictable meanwhile. Kept by block, not slot, so a read unpins
   * exactly what it pinned, also a block cached only after it was sent (counted per slot, that
   * unpin wrapped the count and a later pin saw 0: a FUA write then dropped the block under a
   * read whose reply predated the block's write-back).
   */
  private readonly pins = new BlockTable();
  /** Filled by read-ahead and not read yet. */
  private readonly ahead: Uint8Array;
  /** FLUSH epoch of the oldest data of the slot not yet written back (-1: none). */
  readonly epoch: Float64Array;
  /** Epoch of data written while the slot's older data was on the wire (-1: none). */
  private readonly nextEpoch: Float64Array;
  private readonly epochCounts = new Map<number, number>();
  /** Slots with dirty or writing sectors, oldest first from the tail. */
  readonly dirtyList: SlotList;
  private readonly segments: Uint8Array[] = [];
  private readonly free: Int32Array;
  private freeTop = 0;
  /** Slots ever handed out (those beyond have no data segment yet). */
  private carved = 0;
  private readonly evictable = (s: number): boolean => this.dirty[s] === 0 && this.writing[s] === 0 && this.pins.get(this.blockOf[s]!) === 0;
  used = 0;
  dirtySectors = 0;
  /** A slot began to hold unwritten data (stamped by the write-back's age rule). */
  onDirtied: (s: number) => void = () => {};
  readonly counters: BlockCacheCounters = { hits: 0, misses: 0, readAheadHits: 0, evictions: 0, inserts: 0 };

  constructor(capacityBytes: number, policy: EvictionPolicyName) {
    this.slots = Math.floor(capacityBytes / CACHE_BLOCK);
    const n = Math.max(1, this.slots);
    this.policy = makePolicy(policy, n);
    this.blockOf = new Float64Array(n);
    this.valid = new Uint8Array(n);
    this.dirty = new Uint8Array(n);
    this.writing = new Uint8Array(n);
    this.ahead = new Uint8Array(n);
    this.epoch = new Float64Array(n).fill(NO_EPOCH);
    this.nextEpoch = new Float64Array(n).fill(NO_EPOCH);
    this.dirtyList = new SlotList(new SlotLinks(n), 0);
    this.free = new Int32Array(n);
  }

  get enabled(): boolean { return this.slots > 0; }
  get dirtyBytes(): number { return this.dirtySectors * SECTOR; }
  get usedBytes(): number { return this.used * CACHE_BLOCK; }

  slotOf(block: number): number { return this.index.get(block) - 1; }
  block(s: number): number { return this.blockOf[s]!; }
  /** Slab segment holding slot `s`, and the slot's byte offset in it. */
  seg(s: number): Uint8Array { return this.segments[Math.floor(s / SEG_BLOCKS)]!; }
  segOff(s: number): number { return (s % SEG_BLOCKS) * CACHE_BLOCK; }

  /** Every sector of the range is cached (valid): a read of it is a hit. */
  covers(offset: number, length: number): boolean {
    if (!this.enabled || length === 0 || offset % SECTOR !== 0 || length % SECTOR !== 0) return false;
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      if (s < 0) return false;
      const m = maskOf(b, offset, end);
      if ((this.valid[s]! & m) !== m) return false;
    }
    return true;
  }

  /** Copies a covered range out (a hit); answers how many of its blocks read-ahead had brought. */
  read(offset: number, length: number, dst: Uint8Array, dstOff: number): number {
    const end = offset + length;
    let aheadBlocks = 0;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      const from = Math.max(offset, b * CACHE_BLOCK);
      const to = Math.min(end, (b + 1) * CACHE_BLOCK);
      copyRange(this.seg(s), this.segOff(s) + from - b * CACHE_BLOCK, dst, dstOff + from - offset, to - from);
      if (this.ahead[s] !== 0) { this.ahead[s] = 0; aheadBlocks++; }
      this.policy.accessed(s);
    }
    this.counters.hits++;
    if (aheadBlocks > 0) this.counters.readAheadHits++;
    return aheadBlocks;
  }

  /**
   * Stores data read from the server where the cache has nothing: a cached sector is at least
   * as new (writes update the cache), so it is kept. Blocks are allocated, evicting if needed.
   */
  fill(offset: number, length: number, src: Uint8Array, srcOff: number, readAhead: boolean): void {
    if (!this.enabled) return;
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      let s = this.index.get(b) - 1;
      const fresh = s < 0;
      const m0 = maskOf(b, offset, end);
      if (fresh) { s = this.allocate(b, m0 === FULL); if (s < 0) return; }
      const m = m0 & ~this.valid[s]!;
      this.copySectors(s, m, src, srcOff + b * CACHE_BLOCK - offset, true);
      this.valid[s]! |= m;
      if (fresh) { this.ahead[s] = readAhead ? 1 : 0; this.policy.inserted(s, b); this.counters.inserts++; }
    }
  }

  /**
   * A write of the range: updates cached blocks in place; with `absorb` (write-back) also
   * allocates the blocks it needs and marks the sectors dirty in FLUSH epoch `epoch`.
   * Answers false if a block could not be allocated (nothing evictable).
   */
  write(offset: number, length: number, src: Uint8Array | null, srcOff: number, absorb: boolean, epoch: number): boolean {
    if (!this.enabled) return !absorb;
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      let s = this.index.get(b) - 1;
      if (s < 0) {
        if (!absorb) continue;
        s = this.allocate(b, maskOf(b, offset, end) === FULL);
        if (s < 0) return false;
        this.policy.inserted(s, b);
        this.counters.inserts++;
      }
      const m = maskOf(b, offset, end);
      this.copySectors(s, m, src, srcOff + b * CACHE_BLOCK - offset, src !== null);
      this.valid[s]! |= m;
      this.ahead[s] = 0;
      if (absorb) this.markDirty(s, m, epoch);
    }
    return true;
  }

  /** Forgets the range (TRIM, a failed write); dirty sectors in it are dropped too. */
  invalidate(offset: number, length: number): void {
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      if (s < 0) continue;
      const m = maskOf(b, offset, end);
      this.valid[s]! &= ~m;
      if ((this.dirty[s]! & m) !== 0) { this.dirtySectors -= popcount(this.dirty[s]! & m & ~this.writing[s]!); this.dirty[s]! &= ~m; this.settle(s); }
      if (this.valid[s] === 0 && this.evictable(s)) this.release(s);
    }
  }

  /**
   * Copies the cached sectors of the range over `dst`: with write-back, a cached sector is never
   * older than the server's (every write passes the cache), and a reply may predate a write-back.
   */
  overlay(offset: number, length: number, dst: Uint8Array, dstOff: number): void {
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      if (s < 0) continue;
      const m = maskOf(b, offset, end) & this.valid[s]!;
      for (let k = 0; k < SECTORS; k++) {
        if ((m & (1 << k)) === 0) continue;
        copyRange(this.seg(s), this.segOff(s) + k * SECTOR, dst, dstOff + b * CACHE_BLOCK + k * SECTOR - offset, SECTOR);
      }
    }
  }

  /** Pins (+1) or unpins (-1) the blocks of a range, cached or not, for a read in flight. */
  pin(offset: number, length: number, by: 1 | -1): void {
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const n = this.pins.get(b) + by;
      this.pins.set(b, n > 0 ? n : 0);
    }
  }

  /** Any sector of the range holds data the server does not have yet (dirty, or being written back). */
  unwrittenIn(offset: number, length: number): boolean {
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      if (s >= 0 && ((this.dirty[s]! | this.writing[s]!) & maskOf(b, offset, end)) !== 0) return true;
    }
    return false;
  }

  /** Any sector of the range is being written back now. */
  writingIn(offset: number, length: number): boolean {
    const end = offset + length;
    for (let b = Math.floor(offset / CACHE_BLOCK); b * CACHE_BLOCK < end; b++) {
      const s = this.index.get(b) - 1;
      if (s >= 0 && (this.writing[s]! & maskOf(b, offset, end)) !== 0) return true;
    }
    return false;
  }

  /** Write-back of sectors `run` of slot `s` starts: its dirty ones become "writing" (answered). */
  startWriteBack(s: number, run: number): number {
    const m = this.dirty[s]! & run;
    this.writing[s]! |= m;
    this.dirty[s]! &= ~m;
    return m;
  }

  /**
   * Write-back of sectors `m` of slot `s` ended. A failed one makes them dirty again; a block
   * written again meanwhile stays dirty, now in the epoch of that newer write.
   */
  endWriteBack(s: number, m: number, ok: boolean): void {
    const before = this.unwritten(s);
    this.writing[s]! &= ~m;
    if (!ok) this.dirty[s]! |= m;
    this.dirtySectors += this.unwritten(s) - before;
    if (this.writing[s] !== 0) return;
    if (this.dirty[s] === 0) { this.settle(s); return; }
    if (this.nextEpoch[s] !== NO_EPOCH) {
      this.countEpoch(this.epoch[s]!, -1);
      this.epoch[s] = this.nextEpoch[s]!;
      this.nextEpoch[s] = NO_EPOCH;
      this.countEpoch(this.epoch[s]!, 1);
      this.dirtyList.toHead(s);
      this.onDirtied(s);
    }
  }

  /** No slot holds data of FLUSH epoch ≤ `epoch` that is not written back. */
  cleanThrough(epoch: number): boolean {
    for (const [e, n] of this.epochCounts) if (e <= epoch && n > 0) return false;
    return true;
  }

  /** The client host crashed: every cached byte, dirty or not, is gone. */
  dropAll(): void {
    // Every slot in use (removal order does not matter: the policy's lists end empty either way).
    for (let s = 0; s < this.carved; s++) if (this.index.get(this.blockOf[s]!) === s + 1) { this.policy.removed(s); this.clear(s); }
    this.index.clear();
    this.epochCounts.clear();
    this.freeTop = 0;
    for (let s = this.carved - 1; s >= 0; s--) this.free[this.freeTop++] = s;
    this.used = 0;
    this.dirtySectors = 0;
  }

  /**
   * The run is over and nothing will read this cache again: its data segments go back to the
   * process's pool for the next cache (segment-pool.ts). Using the cache afterwards is a bug.
   */
  dispose(): void {
    giveSegments(this.segments);
    this.segments.length = 0;
    this.index.clear();
    this.freeTop = 0;
    this.carved = this.slots;
    this.used = 0;
  }

  private unwritten(s: number): number { return popcount(this.dirty[s]! | this.writing[s]!); }

  private countEpoch(e: number, d: 1 | -1): void {
    const n = (this.epochCounts.get(e) ?? 0) + d;
    if (n === 0) this.epochCounts.delete(e); else this.epochCounts.set(e, n);
  }

  private markDirty(s: number, m: number, epoch: number): void {
    const before = this.unwritten(s);
    if (this.epoch[s] === NO_EPOCH) {
      this.epoch[s] = epoch;
      this.countEpoch(epoch, 1);
      this.dirtyList.pushHead(s);
      this.onDirtied(s);
    } else if (this.dirty[s] === 0 && this.nextEpoch[s] === NO_EPOCH) this.nextEpoch[s] = epoch;
    this.dirty[s]! |= m;
    this.dirtySectors += this.unwritten(s) - before;
  }

  /** Slot no longer holds unwritten data: leaves the dirty list and its epoch count. */
  private settle(s: number): void {
    if (this.dirty[s] !== 0 || this.writing[s] !== 0 || this.epoch[s] === NO_EPOCH) return;
    this.countEpoch(this.epoch[s]!, -1);
    this.epoch[s] = NO_EPOCH;
    this.nextEpoch[s] = NO_EPOCH;
    this.dirtyList.remove(s);
  }

  private copySectors(s: number, m: number, src: Uint8Array | null, srcOff: number, data: boolean): void {
    const seg = this.seg(s);
    const base = this.segOff(s);
    for (let k = 0; k < SECTORS;) {
      if ((m & (1 << k)) === 0) { k++; continue; }
      let e = k;
      while (e < SECTORS && (m & (1 << e)) !== 0) e++;
      if (data && src !== null) copyRange(src, srcOff + k * SECTOR, seg, base + k * SECTOR, (e - k) * SECTOR);
      else seg.fill(0, base + k * SECTOR, base + e * SECTOR);
      k = e;
    }
  }

  /**
   * A slot for block `b`. `whole`: the caller writes every sector of it next. A slot carved for the
   * first time may hold an earlier cache's bytes (segment-pool.ts): unless all of it is written
   * next, it is zeroed, so a slot never holds bytes of another run.
   */
  private allocate(b: number, whole: boolean): number {
    let s: number;
    if (this.freeTop > 0) s = this.free[--this.freeTop]!;
    else if (this.carved < this.slots) {
      s = this.carved++;
      if (s % SEG_BLOCKS === 0) this.segments.push(takeSegment(Math.min(SEG_BLOCKS, this.slots - s) * CACHE_BLOCK));
      if (!whole) this.seg(s).fill(0, this.segOff(s), this.segOff(s) + CACHE_BLOCK);
    } else {
      if (this.segments.length === 0 && this.slots > 0) throw new Error('block cache: used after dispose()');
      s = this.policy.victim(this.evictable);
      if (s < 0) return -1;
      this.index.set(this.blockOf[s]!, 0);
      this.clear(s);
      this.used--;
      this.counters.evictions++;
    }
    this.index.set(b, s + 1);
    this.blockOf[s] = b;
    this.used++;
    return s;
  }

  private release(s: number): void {
    this.policy.removed(s);
    this.index.set(this.blockOf[s]!, 0);
    this.clear(s);
    this.used--;
    this.free[this.freeTop++] = s;
  }

  private clear(s: number): void {
    if (this.epoch[s] !== NO_EPOCH) { this.countEpoch(this.epoch[s]!, -1); this.dirtyList.remove(s); }
    this.valid[s] = 0; this.dirty[s] = 0; this.writing[s] = 0; this.ahead[s] = 0;
    this.epoch[s] = NO_EPOCH;
    this.nextEpoch[s] = NO_EPOCH;
  }
}

export function popcount(m: number): number {
  let n = 0;
  for (let x = m; x !== 0; x &= x - 1) n++;
  return n;
}

export const CACHE_SECTORS_FULL = FULL;
