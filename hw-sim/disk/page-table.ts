/** Entries per leaf: a leaf covers 4 MiB of a disk of 4 KiB pages (the get paths write it as 1024, >> 10, & 1023). */
const LEAF = 1024;

/**
 * A map from page (or block) index to T for dense, mostly ascending integer keys: leaves of
 * LEAF slots under a directory, the last leaf remembered. A Map of a quarter million number
 * keys cost several cache misses per lookup (hash, bucket, entry), which made the per-page
 * lookups of a disk filling at GB/s, and the per-block ones of the safety checker, the
 * heaviest part of a sustained run; here a sequential walk touches one leaf per LEAF pages.
 */
export class PageTable<T> {
  private readonly leaves: (T | undefined)[][] = [];
  private lastHi = -1;
  private lastLeaf: (T | undefined)[] | undefined = undefined;
  private count = 0;

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  get(idx: number): T | undefined {
    // Below 2^31 (any disk under 8 TiB of 4 KiB pages) in integer operations and literals: a
    // float division by a module constant, loaded and checked at each use, cost ~80 instructions.
    if (idx <= 0x7fffffff) {
      const h = idx >> 10;
      // The leaf looked up, not remembered: a random reader missed the last leaf nearly always and
      // paid two stores and a write barrier to remember it.
      const l = h === this.lastHi ? this.lastLeaf : this.leaves[h];
      return l === undefined ? undefined : l[idx & 1023];
    }
    const hi = Math.floor(idx / LEAF);
    const leaf = hi === this.lastHi ? this.lastLeaf : this.leafAt(hi);
    return leaf === undefined ? undefined : leaf[idx - hi * LEAF];
  }

  has(idx: number): boolean {
    return this.get(idx) !== undefined;
  }

  /** Sets an entry (undefined is not a value: use delete). */
  set(idx: number, value: T): void {
    const hi = Math.floor(idx / LEAF);
    let leaf = hi === this.lastHi ? this.lastLeaf : this.leafAt(hi);
    if (leaf === undefined) {
      leaf = new Array<T | undefined>(LEAF).fill(undefined);
      this.leaves[hi] = leaf;
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    const lo = idx - hi * LEAF;
    if (leaf[lo] === undefined) this.count++;
    leaf[lo] = value;
  }

  /** Removes an entry; true when there was one. */
  delete(idx: number): boolean {
    const hi = Math.floor(idx / LEAF);
    const leaf = hi === this.lastHi ? this.lastLeaf : this.leafAt(hi);
    const lo = idx - hi * LEAF;
    if (leaf === undefined || leaf[lo] === undefined) return false;
    leaf[lo] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.leaves.length = 0;
    this.lastHi = -1;
    this.lastLeaf = undefined;
    this.count = 0;
  }

  /** Every entry, by ascending index. */
  forEach(fn: (value: T, idx: number) => void): void {
    const leaves = this.leaves;
    for (const key in leaves) {
      const hi = Number(key);
      const leaf = leaves[hi]!;
      for (let lo = 0; lo < LEAF; lo++) {
        const v = leaf[lo];
        if (v !== undefined) fn(v, hi * LEAF + lo);
      }
    }
  }

  private leafAt(hi: number): (T | undefined)[] | undefined {
    const leaf = this.leaves[hi];
    if (leaf !== undefined) {
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    return leaf;
  }
}

/**
 * A small integer per page index (0: none; at most 2^31 - 1), in typed leaves: for values kept
 * beside a PageTable's objects so a hot path can read them without touching the objects. 32-bit
 * leaves: half the cache lines of doubles for a random lookup, and what a lookup returns is a
 * small integer, never a heap number.
 */
export class PageNumbers {
  private readonly leaves: (Int32Array | undefined)[] = [];
  private lastHi = -1;
  private lastLeaf: Int32Array | undefined = undefined;

  get(idx: number): number {
    // As PageTable.get: integer operations below 2^31, the leaf looked up and not remembered.
    if (idx <= 0x7fffffff) {
      const h = idx >> 10;
      const l = h === this.lastHi ? this.lastLeaf : this.leaves[h];
      return l === undefined ? 0 : l[idx & 1023]!;
    }
    const hi = Math.floor(idx / LEAF);
    const leaf = hi === this.lastHi ? this.lastLeaf : this.leafAt(hi);
    return leaf === undefined ? 0 : leaf[idx - hi * LEAF]!;
  }

  set(idx: number, value: number): void {
    if (!(value >= 0 && value <= 0x7fffffff && Math.floor(value) === value)) throw new RangeError(`PageNumbers: ${value} is not an integer in [0, 2^31)`);
    const hi = Math.floor(idx / LEAF);
    let leaf = hi === this.lastHi ? this.lastLeaf : this.leafAt(hi);
    if (leaf === undefined) {
      if (value === 0) return;
      leaf = new Int32Array(LEAF);
      this.leaves[hi] = leaf;
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    leaf[idx - hi * LEAF] = value;
  }

  private leafAt(hi: number): Int32Array | undefined {
    const leaf = this.leaves[hi];
    if (leaf !== undefined) {
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    return leaf;
  }
}
