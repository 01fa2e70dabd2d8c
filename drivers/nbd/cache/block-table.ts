/** Entries per leaf: 512 bytes of Int32Array, so a cache of scattered blocks adds at most ~15 % to its data. */
const LEAF = 128;

/**
 * A sparse array of int32 by block number, 0 where nothing was set: leaves of LEAF entries
 * under a directory, allocated on first write. The block cache keeps its index (block → slot)
 * and its pins (block → reads in flight) here instead of in Maps: a Map of ~16k number keys
 * cost a hashed bucket and an entry per lookup in a table of a few hundred KiB, and its set and
 * delete per read in flight rewrote it; here a lookup is two loads from dense arrays (the bench's
 * cache-on rows spent ~8 % of their time in those Map operations). hw-sim/disk/page-table.ts is
 * the same directory-of-leaves for object values; this is its int32 form (typed leaves at half
 * the memory, 0 for absent instead of undefined checks) because both tables hold small integers.
 */
export class BlockTable {
  private readonly leaves: (Int32Array | undefined)[] = [];
  /** Non-zero entries. */
  size = 0;

  get(b: number): number {
    const hi = Math.floor(b / LEAF);
    const leaf = this.leaves[hi];
    return leaf === undefined ? 0 : leaf[b - hi * LEAF]!;
  }

  /** Sets an entry (0 clears it). */
  set(b: number, v: number): void {
    const hi = Math.floor(b / LEAF);
    let leaf = this.leaves[hi];
    if (leaf === undefined) {
      if (v === 0) return;
      leaf = this.leaves[hi] = new Int32Array(LEAF);
    }
    const lo = b - hi * LEAF;
    const old = leaf[lo]!;
    if (old === 0 && v !== 0) this.size++;
    else if (old !== 0 && v === 0) this.size--;
    leaf[lo] = v;
  }

  clear(): void {
    this.leaves.length = 0;
    this.size = 0;
  }
}
