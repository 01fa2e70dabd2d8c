import type { Extent } from './disk-io.ts';
import { PageRun, SparsePages } from './sparse-pages.ts';

/**
 * The virtual disk's contents: sparse durable media under a volatile page cache. Writes land in
 * the cache (and on the media too when FUA or write-through); flush moves the cache to the media;
 * drop() is the power loss. Per-request paths walk pages in plain loops (no callback per page)
 * and fill reused extent records: they run once per disk completion.
 */
export class CachedMedia {
  private readonly media: SparsePages;
  /** Dirty pages over the media: a page copy, or null for a deallocated page. */
  private readonly cache = new Map<number, Uint8Array | null>();
  /** Extent records handed out by extents(), rewritten by the next call. */
  private readonly extentPool: Extent[] = [];
  private readonly extentList: Extent[] = [];
  private readonly run: PageRun;

  constructor(readonly pageSize: number, private readonly writeCache: boolean) {
    this.media = new SparsePages(pageSize);
    this.run = new PageRun(pageSize);
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

  /** What the media holds (what survives a crash). */
  readDurable(offset: number, length: number, out: Uint8Array): void {
    this.media.read(offset, length, out);
  }

  /**
   * Allocation of a range as merged extents, in records reused by the next call: read them
   * before calling again (the disk hands them to its completion callback only).
   */
  extents(offset: number, length: number): readonly Extent[] {
    const list = this.extentList;
    list.length = 0;
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      const hole = this.pageView(c.idx) === undefined;
      const last = list.length > 0 ? list[list.length - 1]! : null;
      if (last !== null && last.hole === hole) last.length += c.n;
      else {
        let e = this.extentPool[list.length];
        if (e === undefined) {
          e = { length: 0, hole, zero: hole };
          this.extentPool.push(e);
        }
        e.length = c.n;
        e.hole = hole;
        e.zero = hole;
        list.push(e);
      }
    }
    return list;
  }

  write(offset: number, data: Uint8Array, fua: boolean): void {
    if (!this.writeCache || fua) this.media.write(offset, data);
    if (!this.writeCache) return;
    const c = this.run;
    for (c.start(offset, data.length); c.next();) {
      this.dirtyPage(c.idx, c.n === this.pageSize).set(data.subarray(c.done, c.done + c.n), c.inPage);
    }
  }

  /** Zeroes a range; whole pages are deallocated when `dealloc`. */
  zero(offset: number, length: number, dealloc: boolean, fua: boolean): void {
    if (!this.writeCache || fua) this.media.zero(offset, length, dealloc);
    if (!this.writeCache) return;
    const c = this.run;
    for (c.start(offset, length); c.next();) {
      if (c.n === this.pageSize && dealloc) this.cache.set(c.idx, null);
      else this.dirtyPage(c.idx, false).fill(0, c.inPage, c.inPage + c.n);
    }
  }

  /** Makes every cached page durable. */
  flush(): void {
    for (const [idx, page] of this.cache) this.media.setPage(idx, page);
    this.cache.clear();
  }

  /** Power loss: the cache vanishes; returns how many dirty pages were lost. */
  drop(): number {
    const lost = this.cache.size;
    this.cache.clear();
    return lost;
  }

  private pageView(idx: number): Uint8Array | undefined {
    if (this.cache.size === 0) return this.media.getPage(idx);
    const c = this.cache.get(idx);
    if (c !== undefined) return c ?? undefined;
    return this.cache.has(idx) ? undefined : this.media.getPage(idx);
  }

  /** A cache page to modify: the dirty copy, or a fresh copy of the current view (none needed when `whole` is overwritten). */
  private dirtyPage(idx: number, whole: boolean): Uint8Array {
    const c = this.cache.get(idx);
    if (c) return c;
    const page = this.media.alloc.page();
    if (!whole && !this.cache.has(idx)) {
      const durable = this.media.getPage(idx);
      if (durable) page.set(durable);
    }
    this.cache.set(idx, page);
    return page;
  }
}
