import type { Extent } from './disk-io.ts';
import { fillPrefill, type PrefillKind } from './prefill.ts';
import { PageNumbers, PageTable } from './page-table.ts';
import { PageRun, RunCopy, SparsePages } from './sparse-pages.ts';

/**
 * The virtual disk's contents: sparse durable media under a volatile page cache. Writes land in
 * the cache (and on the media too when FUA or write-through); flush moves the cache to the media;
 * drop() is the power loss. Per-request paths walk pages in plain loops (no callback per page)
 * and fill reused extent records: they run once per disk completion.
 *
 * With the `pattern` prefill, a media page never written reads as the prefill pattern (generated
 * on demand, nothing allocated); a page deallocated by a trim is remembered as a hole.
 */
export class CachedMedia {
  private readonly media: SparsePages;
  /** Dirty pages over the media: a page copy, or null for a deallocated page. */
  private readonly cache = new PageTable<Uint8Array | null>();
  /** Where each cache page lives (PageAllocator.at, plus one; 0: no page), for write() to find it without touching it. */
  private readonly cacheAt = new PageNumbers();
  /** The indexes in the cache, in the order they became dirty (flush and drop walk these, not the table). */
  private readonly dirty: number[] = [];
  private readonly copy = new RunCopy();
  /** Extent records handed out by extents(), rewritten by the next call. */
  private readonly extentPool: Extent[] = [{ length: 0, hole: false, zero: false }];
  private readonly extentList: Extent[] = [];
  private readonly oneExtent: readonly Extent[] = [this.extentPool[0]!];
  private readonly run: PageRun;
  private readonly pattern: boolean;
  /** Pattern prefill: media pages deallocated since (they read as zeros, not as the pattern). */
  private readonly holes = new Set<number>();
  /** Pattern prefill: the last generated pattern page and its index. */
  private readonly patternPage: Uint8Array;
  private patternIdx = -1;

  constructor(readonly pageSize: number, private readonly writeCache: boolean, prefill: PrefillKind = 'zeros') {
    this.media = new SparsePages(pageSize, true);
    this.run = new PageRun(pageSize);
    this.pattern = prefill === 'pattern';
    this.patternPage = new Uint8Array(this.pattern ? pageSize : 0);
  }

  /** Pages written since the last flush (lost on a crash). */
  get dirtyPages(): number {
    return this.cache.size;
  }

  /** Bytes allocated on the durable media. */
  get allocatedBytes(): number {
    return this.media.allocatedPages * this.pageSize;
  }

  /** Copies the current contents (cache over media) of a range into `out` at 0; holes read as zeroes. */
  read(offset: number, length: number, out: Uint8Array): void {
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      const page = this.pageView(c.idx);
      if (page) out.set(c.n === this.pageSize ? page : page.subarray(c.inPage, c.inPage + c.n), c.done);
      else out.fill(0, c.done, c.done + c.n);
    }
  }

  /**
   * A read of exactly one whole page that holds data (cache over media): the page itself, to be
   * read and not kept or modified (valid until the page is next written, flushed or dropped);
   * null otherwise (a hole, a pattern page generated into scratch, any other range).
   */
  wholePage(offset: number, length: number): Uint8Array | null {
    if (length !== this.pageSize || offset % this.pageSize !== 0) return null;
    const idx = offset / this.pageSize;
    if (this.cache.size > 0) {
      const c = this.cache.get(idx);
      if (c !== undefined) return c;
    }
    return this.media.getPage(idx) ?? null;
  }

  /**
   * wholePage() by location, without touching the page object: where the page lives
   * (PageAllocator.at: bytesOf and offsetOf give its bytes), or -1 where wholePage gives null.
   */
  wholePageAt(offset: number, length: number): number {
    if (length !== this.pageSize || offset % this.pageSize !== 0) return -1;
    const idx = offset / this.pageSize;
    if (this.cache.size > 0) {
      const at = this.cacheAt.get(idx);
      if (at > 0) return at - 1;
      // Deallocated in the cache (a null entry): a hole.
      if (this.cache.get(idx) !== undefined) return -1;
    }
    return this.media.locate(idx);
  }

  /** The slab holding the page at `at` (from wholePageAt), whole: its bytes are at offsetOf(at). */
  bytesOf(at: number): Uint8Array {
    return this.media.alloc.viewOf(at);
  }

  offsetOf(at: number): number {
    return this.media.alloc.offsetOf(at);
  }

  /** What the media holds (what survives a crash). */
  readDurable(offset: number, length: number, out: Uint8Array): void {
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      const page = this.mediaPage(c.idx);
      if (page) out.set(page.subarray(c.inPage, c.inPage + c.n), c.done);
      else out.fill(0, c.done, c.done + c.n);
    }
  }

  /**
   * Allocation of a range as merged extents, in records reused by the next call: read them
   * before calling again (the disk hands them to its completion callback only).
   */
  extents(offset: number, length: number): readonly Extent[] {
    const pool = this.extentPool;
    let k = 0;
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      const hole = !this.allocated(c.idx);
      if (k > 0 && pool[k - 1]!.hole === hole) pool[k - 1]!.length += c.n;
      else {
        let e = pool[k];
        if (e === undefined) {
          e = { length: 0, hole, zero: hole };
          pool.push(e);
        }
        e.length = c.n;
        e.hole = hole;
        e.zero = hole;
        k++;
      }
    }
    // One extent (the usual answer) in a list made once; emptying a list with `length = 0`
    // frees its storage, so the general list is rebuilt only for several extents.
    if (k === 1) return this.oneExtent;
    const list = this.extentList;
    list.length = 0;
    for (let i = 0; i < k; i++) list.push(pool[i]!);
    return list;
  }

  /**
   * extents() of a range that holds data throughout (a page wholePage returned): one data extent,
   * without looking the pages up again.
   */
  dataExtent(length: number): readonly Extent[] {
    const e = this.extentPool[0]!;
    e.length = length;
    e.hole = false;
    e.zero = false;
    return this.oneExtent;
  }

  write(offset: number, data: Uint8Array, fua: boolean): void {
    if (!this.writeCache || fua) {
      this.materialise(offset, data.length);
      this.media.write(offset, data);
    }
    if (!this.writeCache) return;
    const c = this.run;
    const copy = this.copy;
    const alloc = this.media.alloc;
    copy.start(data);
    for (c.start(offset, data.length); c.next();) {
      // A whole page over a dirty one: written where it lives (the page object, likely cold, untouched).
      const at = c.n === this.pageSize ? this.cacheAt.get(c.idx) - 1 : -1;
      if (at >= 0) copy.addIn(alloc.bufferOf(at), alloc.offsetOf(at), c.n);
      else copy.add(this.dirtyPage(c.idx, c.n === this.pageSize), c.inPage, c.n);
    }
    copy.end();
  }

  /** Zeroes a range; whole pages are deallocated when `dealloc`. */
  zero(offset: number, length: number, dealloc: boolean, fua: boolean): void {
    if (!this.writeCache || fua) {
      this.materialise(offset, length);
      this.media.zero(offset, length, dealloc);
      if (this.pattern) this.markHoles(offset, length);
    }
    if (!this.writeCache) return;
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      if (c.n === this.pageSize && dealloc) this.setDirty(c.idx, null);
      else this.dirtyPage(c.idx, false).fill(0, c.inPage, c.inPage + c.n);
    }
  }

  /** Makes every cached page durable. */
  flush(): void {
    for (const idx of this.dirty) {
      const page = this.cache.get(idx)!;
      // Its place goes along: a read served by place (wholePageAt) does not touch the page object.
      this.media.setPage(idx, page, this.cacheAt.get(idx) - 1);
      if (this.pattern) {
        if (page) this.holes.delete(idx);
        else this.holes.add(idx);
      }
      this.cache.delete(idx);
      this.cacheAt.set(idx, 0);
    }
    this.dirty.length = 0;
  }

  /** Power loss: the cache vanishes; returns how many dirty pages were lost. */
  drop(): number {
    const lost = this.cache.size;
    for (const idx of this.dirty) {
      const page = this.cache.get(idx);
      if (page) this.media.alloc.free(page);
      this.cache.delete(idx);
      this.cacheAt.set(idx, 0);
    }
    this.dirty.length = 0;
    return lost;
  }

  private pageView(idx: number): Uint8Array | undefined {
    if (this.cache.size === 0) return this.mediaPage(idx);
    const c = this.cache.get(idx);
    return c !== undefined ? c ?? undefined : this.mediaPage(idx);
  }

  /** Whether a page holds data (cache over media), without generating a pattern page. */
  private allocated(idx: number): boolean {
    if (this.cache.size > 0) {
      const c = this.cache.get(idx);
      if (c !== undefined) return c !== null;
    }
    return this.media.getPage(idx) !== undefined || (this.pattern && !this.holes.has(idx));
  }

  /** The durable page (a generated pattern page, valid until the next call, for a never-written one). */
  private mediaPage(idx: number): Uint8Array | undefined {
    const page = this.media.getPage(idx);
    if (page !== undefined || !this.pattern || this.holes.has(idx)) return page;
    if (this.patternIdx !== idx) {
      fillPrefill(this.patternPage, 0, idx * this.pageSize, this.pageSize);
      this.patternIdx = idx;
    }
    return this.patternPage;
  }

  /** Pattern prefill: gives never-written media pages of a range their pattern before a partial update. */
  private materialise(offset: number, length: number): void {
    if (!this.pattern) return;
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      if (this.media.getPage(c.idx) !== undefined || this.holes.has(c.idx)) continue;
      const page = this.media.alloc.page(false);
      fillPrefill(page, 0, c.idx * this.pageSize, this.pageSize);
      this.media.setPage(c.idx, page);
    }
  }

  /** Pattern prefill: whole pages a dealloc-zero removed from the media are holes now. */
  private markHoles(offset: number, length: number): void {
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      if (this.media.getPage(c.idx) === undefined) this.holes.add(c.idx);
    }
  }

  /** A cache page to modify: the dirty copy, or a fresh copy of the current view (none needed when `whole` is overwritten). */
  private dirtyPage(idx: number, whole: boolean): Uint8Array {
    const c = this.cache.get(idx);
    if (c) return c;
    const page = this.media.alloc.page(!whole);
    if (c === undefined) {
      if (!whole) {
        const durable = this.mediaPage(idx);
        if (durable) page.set(durable);
      }
      this.dirty.push(idx);
    }
    this.cache.set(idx, page);
    this.cacheAt.set(idx, this.media.alloc.at(page) + 1);
    return page;
  }

  /** Sets a cache entry, noting a newly dirty index. */
  private setDirty(idx: number, page: Uint8Array | null): void {
    const old = this.cache.get(idx);
    if (old === undefined) this.dirty.push(idx);
    else if (old !== null && old !== page) this.media.alloc.free(old);
    this.cache.set(idx, page);
    this.cacheAt.set(idx, page === null ? 0 : this.media.alloc.at(page) + 1);
  }
}
