import type { BlockStore, DoneCallback, Extent, ReadCallback, StatusCallback } from './block-store.ts';
import { checkRange } from './block-store.ts';
import { SparsePages } from '../../../../hw-sim/disk/sparse-pages.ts';

/**
 * A sparse in-memory BlockStore that completes every call synchronously: the store behind
 * `orion-sim serve` on real TCP, and a zero-latency store for unit tests. Nothing is volatile,
 * so flush and FUA have nothing to do.
 *
 * A read inside one page returns a view of the page (or of a shared zero page), not a copy:
 * the caller must use it before it writes that range again (a server sends it at once; a read
 * racing an overlapping write has no defined result in NBD anyway). Writes may come piece by
 * piece (writePiece), straight into the pages.
 */
export class MemoryStore implements BlockStore {
  private readonly pages: SparsePages;
  private readonly zeroPage: Uint8Array;
  /** The extent list of a read inside one page, reused (valid during the callback). */
  private readonly oneExtent: Extent[] = [{ length: 0, hole: false, zero: false }];

  constructor(readonly size: number, pageSize = 262144) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`memory store size must be a non-negative integer, got ${size}`);
    this.pages = new SparsePages(pageSize);
    this.zeroPage = new Uint8Array(pageSize);
  }

  get allocatedBytes(): number {
    return this.pages.allocatedPages * this.pages.pageSize;
  }

  read(offset: number, length: number, cb: ReadCallback): void {
    const err = checkRange(this.size, offset, length);
    if (err) return cb(err, null, null);
    const ps = this.pages.pageSize;
    const idx = Math.floor(offset / ps);
    const inPage = offset - idx * ps;
    if (length > 0 && inPage + length <= ps) {
      const page = this.pages.getPage(idx);
      const hole = page === undefined;
      const one = this.oneExtent;
      one[0]!.length = length;
      one[0]!.hole = hole;
      one[0]!.zero = hole;
      return cb(null, (page ?? this.zeroPage).subarray(inPage, inPage + length), one);
    }
    const out = new Uint8Array(length);
    this.pages.read(offset, length, out);
    cb(null, out, this.pages.extents(offset, length));
  }
  writePiece(offset: number, piece: Uint8Array): void {
    this.pages.write(offset, piece);
  }
  write(offset: number, data: Uint8Array, _fua: boolean, cb: DoneCallback): void {
    const err = checkRange(this.size, offset, data.length);
    if (!err) this.pages.write(offset, data);
    cb(err);
  }
  flush(cb: DoneCallback): void {
    cb(null);
  }
  trim(offset: number, length: number, _fua: boolean, cb: DoneCallback): void {
    const err = checkRange(this.size, offset, length);
    if (!err) this.pages.zero(offset, length, true);
    cb(err);
  }
  zero(offset: number, length: number, mayTrim: boolean, _fua: boolean, cb: DoneCallback): void {
    const err = checkRange(this.size, offset, length);
    if (!err) this.pages.zero(offset, length, mayTrim);
    cb(err);
  }
  blockStatus(offset: number, length: number, cb: StatusCallback): void {
    const err = checkRange(this.size, offset, length);
    cb(err, err ? null : this.pages.extents(offset, length));
  }
}
