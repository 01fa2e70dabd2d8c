import type { Extent } from './disk-io.ts';
import { PageNumbers, PageTable } from './page-table.ts';

/**
 * Slabs start at this size and double up to SLAB_MAX: a small disk stays small, a big one makes
 * few. V8 starts a full GC for every 64 MB of new ArrayBuffer memory, so filling 1 GiB in 64 MiB
 * slabs cost 15 of them (a third of a second); the untouched tail of a slab is only address space.
 */
const SLAB_MIN = 256 << 10;
const SLAB_MAX = 256 << 20;

/**
 * Pages carved from shared slabs. Allocating every 4 KiB page as its own ArrayBuffer cost more
 * than filling it, and many small slabs cost GC time as a disk fills (a 1 GiB region in 256 KiB
 * slabs: 4096 buffers). Pages given back (free) are handed out again before the slab grows, so
 * a store that replaces pages (a flush moving cache pages onto the media) reuses memory already
 * touched instead of keeping half-dead slabs alive and faulting in new ones.
 */
export class PageAllocator {
  private slab: ArrayBuffer | null = null;
  private next = 0;
  private perSlab = 0;
  private slabBytes: number;
  private readonly freed: Uint8Array[] = [];
  /** The slabs at() was asked about, by number (kept from then on). */
  private readonly slabs: ArrayBufferLike[] = [];
  /** A view of each of those slabs, whole (viewOf). */
  private readonly slabViews: Uint8Array[] = [];
  private readonly slabNos = new Map<ArrayBufferLike, number>();
  /** Page slots a slab can hold at most: a page's place is slab number * slots + slot (see at). */
  private readonly slots: number;

  constructor(readonly pageSize: number) {
    this.slabBytes = Math.max(SLAB_MIN, pageSize);
    this.slots = Math.max(1, Math.floor(SLAB_MAX / pageSize));
  }

  /**
   * Where a page of this allocator lives, as one number (slab number * slots + the page's slot in
   * its slab): a caller that keeps it can later write the page (bufferOf, offsetOf) without
   * touching the page object, which a disk rewriting a large region in place found cold on every
   * write. Counted in pages, not bytes, so it stays a small integer (a byte address past 2^30
   * was a heap number, allocated wherever it was returned or passed on).
   */
  at(page: Uint8Array): number {
    const buf = page.buffer;
    let no = this.slabNos.get(buf);
    if (no === undefined) {
      no = this.slabs.length;
      this.slabs.push(buf);
      this.slabViews.push(new Uint8Array(buf));
      this.slabNos.set(buf, no);
    }
    return no * this.slots + page.byteOffset / this.pageSize;
  }

  bufferOf(at: number): ArrayBufferLike {
    return this.slabs[Math.floor(at / this.slots)]!;
  }

  /** The whole slab a page lives in, as bytes (the page is at offsetOf(at)). */
  viewOf(at: number): Uint8Array {
    return this.slabViews[Math.floor(at / this.slots)]!;
  }

  /** The page's byte offset in its slab. */
  offsetOf(at: number): number {
    return (at - Math.floor(at / this.slots) * this.slots) * this.pageSize;
  }

  /** A page of zeroes; with `zeroed` false its bytes are unspecified (the caller overwrites them all). */
  page(zeroed = true): Uint8Array {
    const again = this.freed.pop();
    if (again !== undefined) return zeroed ? again.fill(0) : again;
    if (this.slab === null || this.next === this.perSlab) {
      this.perSlab = Math.max(1, Math.floor(this.slabBytes / this.pageSize));
      this.slab = new ArrayBuffer(this.pageSize * this.perSlab);
      this.next = 0;
      if (this.slabBytes < SLAB_MAX) this.slabBytes *= 2;
    }
    return new Uint8Array(this.slab, this.pageSize * this.next++, this.pageSize);
  }

  /** A page nothing refers to any more, for reuse. */
  free(page: Uint8Array): void {
    this.freed.push(page);
  }
}

/**
 * Sparse byte storage: fixed-size pages allocated on first write, absent pages read as zeroes.
 * The building block of the disk's durable media, its write cache overlay and the memory store.
 */
export class SparsePages {
  private readonly pages = new PageTable<Uint8Array>();
  /** Where pages live (PageAllocator.at, plus one; 0: not asked yet or no page), filled by locate(). */
  private locations = new PageNumbers();
  readonly alloc: PageAllocator;
  private readonly run: PageRun;
  private readonly copy = new RunCopy();

  /**
   * `recycle`: pages this store drops (replaced, deallocated) go back to its allocator. Only for
   * owners whose views of their pages do not outlive the event that handed them out (the disk
   * lends a whole page to a read's completion callback only).
   */
  constructor(readonly pageSize: number, private readonly recycle = false) {
    if (!Number.isInteger(pageSize) || pageSize <= 0 || (pageSize & (pageSize - 1)) !== 0) {
      throw new RangeError(`page size must be a power of two, got ${pageSize}`);
    }
    this.alloc = new PageAllocator(pageSize);
    this.run = new PageRun(pageSize);
  }

  /** Pages currently allocated. */
  get allocatedPages(): number {
    return this.pages.size;
  }

  getPage(index: number): Uint8Array | undefined {
    return this.pages.get(index);
  }

  /**
   * Where page `index` lives (PageAllocator.at), or -1 when it has none: from the second call on
   * without touching the page object (a disk serving random reads found it cold on every read).
   */
  locate(index: number): number {
    const known = this.locations.get(index);
    if (known > 0) return known - 1;
    const page = this.pages.get(index);
    if (page === undefined) return -1;
    const at = this.alloc.at(page);
    this.locations.set(index, at + 1);
    return at;
  }

  /** Installs (or with null, removes) a whole page; `at`: where it lives, if the caller knows (else locate() finds out). */
  setPage(index: number, page: Uint8Array | null, at = -1): void {
    this.locations.set(index, page !== null && at >= 0 ? at + 1 : 0);
    if (this.recycle) {
      const old = this.pages.get(index);
      if (old !== undefined && old !== page) this.alloc.free(old);
    }
    if (page) this.pages.set(index, page);
    else this.pages.delete(index);
  }

  clear(): void {
    if (this.recycle) this.pages.forEach((p) => this.alloc.free(p));
    this.pages.clear();
    this.locations = new PageNumbers();
  }

  /** Copies `length` bytes at `offset` into `out` at `outOffset` (holes become zeroes). */
  read(offset: number, length: number, out: Uint8Array, outOffset = 0): void {
    forEachPageRun(offset, length, this.pageSize, (idx, inPage, n, done) => {
      const page = this.pages.get(idx);
      if (page) out.set(page.subarray(inPage, inPage + n), outOffset + done);
      else out.fill(0, outOffset + done, outOffset + done + n);
    });
  }

  /** Writes `data` at `offset`, allocating pages as needed. */
  write(offset: number, data: Uint8Array): void {
    const c = this.run;
    const copy = this.copy;
    copy.start(data);
    for (c.start(offset, data.length); c.next();) {
      let page = this.pages.get(c.idx);
      if (!page) {
        page = this.alloc.page(c.n !== this.pageSize);
        this.pages.set(c.idx, page);
      }
      copy.add(page, c.inPage, c.n);
    }
    copy.end();
  }

  /** Zeroes a range: whole pages are deallocated when `dealloc`, partial pages are zero-filled. */
  zero(offset: number, length: number, dealloc: boolean): void {
    forEachPageRun(offset, length, this.pageSize, (idx, inPage, n) => {
      const page = this.pages.get(idx);
      if (page) {
        if (n === this.pageSize && dealloc) this.setPage(idx, null);
        else page.fill(0, inPage, inPage + n);
      } else if (!dealloc) {
        this.pages.set(idx, this.alloc.page());
      }
    });
  }

  /** Allocation of a range as merged extents (a page is data or hole; holes read as zeroes). */
  extents(offset: number, length: number): Extent[] {
    return extentsOf(offset, length, this.pageSize, (idx) => this.pages.has(idx));
  }
}

/**
 * A byte range walked page by page without a callback (for per-request paths):
 * `for (c.start(offset, length); c.next();)` then `c.idx`, `c.inPage`, `c.n`, `c.done`.
 */
export class PageRun {
  /** Page index, offset in that page, bytes in it, bytes of the range before it. */
  idx = 0;
  inPage = 0;
  n = 0;
  done = 0;
  private pos = 0;
  private end = 0;
  private offset = 0;

  constructor(readonly pageSize: number) {}

  start(offset: number, length: number): void {
    this.offset = this.pos = offset;
    this.end = offset + length;
    this.n = 0;
  }

  /** Moves to the next page of the range; false once past its end. */
  next(): boolean {
    this.pos += this.n;
    if (this.pos >= this.end) return false;
    const ps = this.pageSize;
    this.idx = Math.floor(this.pos / ps);
    this.inPage = this.pos - this.idx * ps;
    this.n = Math.min(ps - this.inPage, this.end - this.pos);
    this.done = this.pos - this.offset;
    return true;
  }
}

/**
 * Copies a source buffer into a sequence of page pieces, one TypedArray.set per run of pieces
 * that lie back to back in one slab (pages allocated in order are): a 128 KiB write into fresh
 * or sequentially filled pages is one copy, not 32 (each of which also made a subarray view).
 * `start(src)`, then `add(page, inPage, n)` per piece in source order, then `end()`.
 */
export class RunCopy {
  private src: Uint8Array = EMPTY;
  private srcAt = 0;
  private buf: ArrayBufferLike | null = null;
  private from = 0;
  private to = 0;

  start(src: Uint8Array): void {
    this.src = src;
    this.srcAt = 0;
    this.buf = null;
  }

  add(page: Uint8Array, inPage: number, n: number): void {
    this.addIn(page.buffer, page.byteOffset + inPage, n);
  }

  /** add() of `n` bytes at `at` in `buf`. */
  addIn(buf: ArrayBufferLike, at: number, n: number): void {
    if (this.buf === buf && at === this.to) {
      this.to += n;
      return;
    }
    this.flushRun();
    this.buf = buf;
    this.from = at;
    this.to = at + n;
  }

  end(): void {
    this.flushRun();
    this.src = EMPTY;
    this.buf = null;
  }

  private flushRun(): void {
    if (this.buf === null) return;
    const n = this.to - this.from;
    const src = this.src;
    const piece = this.srcAt === 0 && n === src.length ? src : src.subarray(this.srcAt, this.srcAt + n);
    new Uint8Array(this.buf, this.from, n).set(piece);
    this.srcAt += n;
    this.buf = null;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Walks a byte range page by page: `fn(pageIndex, offsetInPage, bytesInPage, bytesBefore)`.
 */
export function forEachPageRun(offset: number, length: number, pageSize: number,
  fn: (idx: number, inPage: number, n: number, done: number) => void): void {
  const c = new PageRun(pageSize);
  for (c.start(offset, length); c.next();) fn(c.idx, c.inPage, c.n, c.done);
}

/** Merged allocation extents of a range, given a per-page allocation test. */
export function extentsOf(offset: number, length: number, pageSize: number, allocated: (idx: number) => boolean): Extent[] {
  const out: Extent[] = [];
  forEachPageRun(offset, length, pageSize, (idx, _inPage, n) => {
    const hole = !allocated(idx);
    const last = out[out.length - 1];
    if (last && last.hole === hole) last.length += n;
    else out.push({ length: n, hole, zero: hole });
  });
  return out;
}
