import { describe, expect, it } from 'vitest';
import { BlockCache, CACHE_BLOCK } from '../../../drivers/nbd/cache/block-cache.ts';
import { completeWriteBack, planWriteBack, WriteBackExtent } from '../../../drivers/nbd/cache/write-back-plan.ts';
import { pooledSegments } from '../../../drivers/nbd/cache/segment-pool.ts';

const K = 1024;
const pattern = (len: number, seed: number): Uint8Array => {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
};
const never = (): boolean => false;

describe('block cache: data, coherence, bounds', () => {
  it('a filled range reads back byte for byte; a range not fully cached is a miss', () => {
    const c = new BlockCache(64 * K, 'lru');
    const src = pattern(8 * K, 3);
    c.fill(4 * K, 8 * K, src, 0, false);
    expect(c.covers(4 * K, 8 * K)).toBe(true);
    expect(c.covers(6 * K, 2 * K)).toBe(true);
    expect(c.covers(0, 8 * K)).toBe(false);
    const dst = new Uint8Array(2 * K);
    c.read(6 * K, 2 * K, dst, 0);
    expect(dst).toEqual(src.subarray(2 * K, 4 * K));
    expect(c.usedBytes).toBe(8 * K);
  });

  it('never holds more than its capacity: 16 slots, 40 blocks filled → 16 used, 24 evictions', () => {
    const c = new BlockCache(16 * CACHE_BLOCK, 'lru');
    const src = pattern(CACHE_BLOCK, 1);
    for (let b = 0; b < 40; b++) c.fill(b * CACHE_BLOCK, CACHE_BLOCK, src, 0, false);
    expect(c.used).toBe(16);
    expect(c.counters.evictions).toBe(24);
    // LRU kept the last 16.
    expect(c.covers(24 * CACHE_BLOCK, 16 * CACHE_BLOCK)).toBe(true);
    expect(c.covers(23 * CACHE_BLOCK, CACHE_BLOCK)).toBe(false);
  });

  it('a write-through write updates cached blocks in place and allocates nothing; invalidate (TRIM) forgets', () => {
    const c = new BlockCache(64 * K, 'lru');
    c.fill(0, 4 * K, pattern(4 * K, 0), 0, false);
    const w = pattern(1 * K, 99);
    c.write(1 * K, 1 * K, w, 0, false, 0);
    c.write(8 * K, 4 * K, pattern(4 * K, 5), 0, false, 0);
    expect(c.used).toBe(1);
    const dst = new Uint8Array(1 * K);
    c.read(1 * K, 1 * K, dst, 0);
    expect(dst).toEqual(w);
    c.write(2 * K, 512, null, 0, false, 0); // WRITE_ZEROES
    const z = new Uint8Array(512).fill(1);
    c.read(2 * K, 512, z, 0);
    expect(z.every((x) => x === 0)).toBe(true);
    c.invalidate(0, 512);
    expect(c.covers(0, 4 * K)).toBe(false);
    expect(c.covers(512, 3 * K + 512)).toBe(true);
  });

  it('write-back: dirty sectors are counted, win over older server data in fill and overlay, and are never evicted', () => {
    const c = new BlockCache(2 * CACHE_BLOCK, 'lru');
    const mine = pattern(1 * K, 42);
    expect(c.write(1 * K, 1 * K, mine, 0, true, 0)).toBe(true);
    expect(c.dirtyBytes).toBe(1 * K);
    const server = pattern(4 * K, 7);
    c.fill(0, 4 * K, server, 0, false);
    const dst = new Uint8Array(4 * K);
    c.read(0, 4 * K, dst, 0);
    expect(dst.subarray(1 * K, 2 * K)).toEqual(mine);
    expect(dst.subarray(0, 1 * K)).toEqual(server.subarray(0, 1 * K));
    const fromServer = server.slice();
    c.overlay(0, 4 * K, fromServer, 0);
    expect(fromServer).toEqual(dst);
    // Two more blocks through a 2-slot cache: the dirty block stays, the clean one goes.
    c.fill(4 * K, 4 * K, server, 0, false);
    c.fill(8 * K, 4 * K, server, 0, false);
    expect(c.covers(1 * K, 1 * K)).toBe(true);
    expect(c.covers(4 * K, 4 * K)).toBe(false);
    // All slots dirty: an absorbing write finds nothing to evict.
    expect(c.write(8 * K, 4 * K, server, 0, true, 0)).toBe(true);
    expect(c.write(16 * K, 4 * K, server, 0, true, 0)).toBe(false);
  });

  it('write-back extent: adjacent dirty blocks coalesce into one contiguous write; data is a snapshot; FLUSH epochs clear only when written', () => {
    const c = new BlockCache(64 * K, 's3-fifo');
    c.write(8 * K, 4 * K, pattern(4 * K, 1), 0, true, 0);
    c.write(4 * K, 4 * K, pattern(4 * K, 2), 0, true, 0);
    c.write(12 * K, 1 * K, pattern(1 * K, 3), 0, true, 1);
    c.write(32 * K, 4 * K, pattern(4 * K, 4), 0, true, 1);
    expect(c.cleanThrough(0)).toBe(false);
    const x = new WriteBackExtent(128 * K);
    expect(planWriteBack(c, x, never)).toBe(true);
    // Oldest dirty block is 8K; grown forward to 12K+1K and backward to 4K: [4K, 13K).
    expect([x.offset, x.length]).toEqual([4 * K, 9 * K]);
    const expected = new Uint8Array(9 * K);
    expected.set(pattern(4 * K, 2), 0);
    expected.set(pattern(4 * K, 1), 4 * K);
    expected.set(pattern(1 * K, 3), 8 * K);
    // Written again while on the wire: the wire copy does not change, the block stays dirty.
    c.write(4 * K, 512, pattern(512, 9), 0, true, 2);
    expect(x.data.subarray(0, 9 * K)).toEqual(expected);
    expect(c.dirtyBytes).toBe(9 * K + 4 * K);
    completeWriteBack(c, x, true);
    expect(c.cleanThrough(0)).toBe(true);
    expect(c.cleanThrough(1)).toBe(false);
    expect(c.dirtyBytes).toBe(512 + 4 * K);
    expect(planWriteBack(c, x, never)).toBe(true);
    expect([x.offset, x.length]).toEqual([32 * K, 4 * K]);
    completeWriteBack(c, x, false);
    expect(c.dirtyBytes).toBe(512 + 4 * K);
    expect(planWriteBack(c, x, (o) => o === 32 * K)).toBe(true);
    // 32K is vetoed; the 4K block has only its sector 0 dirty: the run is that one sector.
    expect([x.offset, x.length]).toEqual([4 * K, 512]);
  });

  it('a crash drops everything, dirty included, and the slab is reused', () => {
    const c = new BlockCache(8 * CACHE_BLOCK, 'lru');
    for (let b = 0; b < 8; b++) c.write(b * CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, b), 0, true, 0);
    expect(c.dirtyBytes).toBe(8 * CACHE_BLOCK);
    c.dropAll();
    expect([c.used, c.dirtyBytes, c.cleanThrough(0)]).toEqual([0, 0, true]);
    for (let b = 0; b < 8; b++) c.fill(b * CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, b), 0, false);
    expect(c.counters.evictions).toBe(0);
  });

  it('a read unpins exactly what it pinned: a block cached after the read was sent stays pinned under the next read', () => {
    const c = new BlockCache(64 * K, 'lru');
    c.fill(0, CACHE_BLOCK, pattern(CACHE_BLOCK, 1), 0, false);
    c.pin(0, 2 * CACHE_BLOCK, 1); // read A: block 0 cached, block 1 not yet
    c.fill(CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, 2), 0, false);
    c.pin(0, 2 * CACHE_BLOCK, 1); // read B
    c.pin(0, 2 * CACHE_BLOCK, -1); // read A returns
    // A FUA write through both blocks: read B's reply still needs them for the overlay.
    c.invalidate(0, 2 * CACHE_BLOCK);
    expect(c.used).toBe(2);
    c.pin(0, 2 * CACHE_BLOCK, -1); // read B returns: now they go
    c.invalidate(0, 2 * CACHE_BLOCK);
    expect(c.used).toBe(0);
  });
});

describe('data segments across caches (segment-pool.ts)', () => {
  const SEG = 1 << 20;
  it('a disposed cache lends its segments to the next cache, whose blocks never show the earlier bytes', () => {
    const a = new BlockCache(2 * SEG, 'lru');
    // Slots are carved in order, 256 per 1 MiB segment: 512 blocks fill both with a's bytes.
    for (let b = 0; b < 512; b++) a.fill(b * CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, 9), 0, false);
    const mine = [a.seg(a.slotOf(0)), a.seg(a.slotOf(256))];
    expect(mine[0]).not.toBe(mine[1]);
    const pooled = pooledSegments();
    a.dispose();
    expect(pooledSegments()).toBe(pooled + 2);
    expect(() => a.fill(600 * CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, 1), 0, false)).toThrow(/after dispose/);

    const b = new BlockCache(SEG, 'lru');
    // Slot 0: a whole block (written over at once); slot 1: one sector of a block (the rest zeroed);
    // slot 2: two sectors written through a write-back absorb (zeroes as data: src null).
    b.fill(CACHE_BLOCK, CACHE_BLOCK, pattern(CACHE_BLOCK, 5), 0, false);
    b.fill(7 * CACHE_BLOCK + 1024, 512, pattern(512, 3), 0, false);
    b.write(9 * CACHE_BLOCK, 1024, null, 0, true, 0);
    const seg = b.seg(b.slotOf(1));
    expect(mine).toContain(seg);
    expect(pooledSegments()).toBe(pooled + 1);
    expect([b.slotOf(1), b.slotOf(7), b.slotOf(9)]).toEqual([0, 1, 2]);
    // Every byte of the three carved slots is b's: its data, or zeroes where it wrote none.
    expect(seg.subarray(0, CACHE_BLOCK)).toEqual(pattern(CACHE_BLOCK, 5));
    const one = new Uint8Array(CACHE_BLOCK);
    one.set(pattern(512, 3), 1024);
    expect(seg.subarray(CACHE_BLOCK, 2 * CACHE_BLOCK)).toEqual(one);
    expect(seg.subarray(2 * CACHE_BLOCK, 3 * CACHE_BLOCK).every((x) => x === 0)).toBe(true);
    const dst = new Uint8Array(CACHE_BLOCK);
    b.read(CACHE_BLOCK, CACHE_BLOCK, dst, 0);
    expect(dst).toEqual(pattern(CACHE_BLOCK, 5));
    b.dispose();
  });
});
