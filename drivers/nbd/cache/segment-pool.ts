/**
 * The cache's 1 MiB data segments, handed back when a cache is disposed (its run is over) and
 * handed out again to the next cache of the same process: a swarm worker or the bench builds
 * world after world, and on a VM a fresh page costs a page fault on first touch (~14 µs per 4 KiB
 * here: filling 46 MiB of cache was a third of a cache-on bench run). Only memory is shared: a
 * pooled segment comes back holding the last cache's bytes, and the cache writes or zeroes every
 * block of it before first use (block-cache.ts allocate), so no run sees another's data. (It came
 * back zeroed before: 1 MiB of memset per segment, ~1.6 % of a cache-on bench run, for blocks that
 * a 4 KiB fill overwrites at once.)
 */
export const SEGMENT_BYTES = 1 << 20;
/** At most this many segments wait in the pool (256 MiB). */
const POOL_MAX = 256;

const pool: Uint8Array[] = [];

/** A segment of `bytes` (a pooled one when it has the standard size): its contents are unspecified. */
export function takeSegment(bytes: number): Uint8Array {
  if (bytes === SEGMENT_BYTES) {
    const seg = pool.pop();
    if (seg !== undefined) return seg;
  }
  return new Uint8Array(bytes);
}

/** Segments nothing will use again (their cache is disposed). */
export function giveSegments(segs: readonly Uint8Array[]): void {
  for (const s of segs) if (s.length === SEGMENT_BYTES && pool.length < POOL_MAX) pool.push(s);
}

/** Segments waiting in the pool (for tests). */
export function pooledSegments(): number {
  return pool.length;
}
