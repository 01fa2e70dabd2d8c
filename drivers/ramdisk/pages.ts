/**
 * The RAM disk's backing memory: 4 KiB pages allocated on first write (brd's radix tree of
 * pages). Unwritten ranges read as zeros; discard frees whole pages.
 */
export const PAGE_SIZE = 4096;

const READ = 0;
const WRITE = 1;
const ZERO = 2;
const DISCARD = 3;

export class RamPages {
  private readonly pages = new Map<number, Uint8Array>();

  /** Pages allocated now. */
  get count(): number {
    return this.pages.size;
  }

  read(offset: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.walk(READ, offset, len, dst, dstOff);
  }

  write(offset: number, src: Uint8Array, srcOff: number, len: number): void {
    this.walk(WRITE, offset, len, src, srcOff);
  }

  /** Zeroes a range; `free` releases pages the range covers entirely (discard). */
  zero(offset: number, len: number, free: boolean): void {
    this.walk(free ? DISCARD : ZERO, offset, len, null, 0);
  }

  /** Visits the range page by page; one loop for every operation. */
  private walk(mode: number, offset: number, len: number, buf: Uint8Array | null, bufOff: number): void {
    let done = 0;
    while (done < len) {
      const pos = offset + done;
      const idx = Math.floor(pos / PAGE_SIZE);
      const at = pos - idx * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - at, len - done);
      let page = this.pages.get(idx);
      const b = bufOff + done;
      if (mode === READ) {
        if (page) buf!.set(page.subarray(at, at + n), b);
        else buf!.fill(0, b, b + n);
      } else if (mode === WRITE) {
        if (!page) {
          page = new Uint8Array(PAGE_SIZE);
          this.pages.set(idx, page);
        }
        page.set(buf!.subarray(b, b + n), at);
      } else if (page) {
        if (mode === DISCARD && n === PAGE_SIZE) this.pages.delete(idx);
        else page.fill(0, at, at + n);
      }
      done += n;
    }
  }
}
