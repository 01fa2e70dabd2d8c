/**
 * The receive buffer: a ring of SO_RCVBUF bytes addressed by stream offset. In-order data sits in
 * [readOff, rcvNxt); out-of-order data is copied straight to its place beyond rcvNxt and tracked
 * as intervals, so reassembly needs no per-segment allocation. Everything the receive window
 * admits fits in the ring by construction. Storage starts small and grows on demand, so an idle
 * socket with a large SO_RCVBUF costs little memory.
 */
import { copyBytes } from '../copy-bytes.ts';

const INITIAL_BYTES = 16 * 1024;

export class RecvBuffer {
  /** Physical storage: grows (powers of two) up to `capacity` as the data in it needs. */
  private ring: Uint8Array;
  /** Stream offset of the first unread byte. */
  readOff = 0;
  /** Stream offset of the first byte not yet received in order. */
  rcvNxt = 0;
  /** Out-of-order intervals beyond rcvNxt, sorted, disjoint, flat: [start0, end0, start1, ...]. */
  private ooo: number[] = [];

  constructor(readonly capacity: number) {
    this.ring = new Uint8Array(Math.min(capacity, INITIAL_BYTES));
  }

  /** In-order bytes waiting for the reader. */
  get readable(): number {
    return this.rcvNxt - this.readOff;
  }

  /** Free space: the receive window. */
  get window(): number {
    return this.capacity - (this.rcvNxt - this.readOff);
  }

  get hasOutOfOrder(): boolean {
    return this.ooo.length > 0;
  }

  /** Right edge of the out-of-order data (rcvNxt when none). */
  get highestOff(): number {
    return this.ooo.length > 0 ? this.ooo[this.ooo.length - 1]! : this.rcvNxt;
  }

  /**
   * Stores payload[from, to) whose first byte has stream offset `off`, trimmed to the window.
   * Returns the number of bytes by which rcvNxt advanced.
   */
  store(payload: Uint8Array, off: number): number {
    let start = off;
    let end = off + payload.length;
    if (start < this.rcvNxt) start = this.rcvNxt;
    const limit = this.readOff + this.capacity;
    if (end > limit) end = limit;
    if (end <= start) return 0;
    this.copyIn(payload, start - off, start, end - start);
    if (start === this.rcvNxt) {
      const before = this.rcvNxt;
      this.rcvNxt = end;
      this.mergeFront();
      return this.rcvNxt - before;
    }
    this.insert(start, end);
    return 0;
  }

  /**
   * Accounts `len` in-order bytes the owner took straight from the segment (nothing buffered,
   * nothing out of order): the stream moves on without the bytes passing through the ring.
   */
  skip(len: number): void {
    if (this.rcvNxt !== this.readOff || this.ooo.length > 0 || len > this.capacity) {
      throw new RangeError(`cannot skip ${len} bytes with ${this.readable} buffered and ${this.ooo.length / 2} gaps`);
    }
    this.rcvNxt += len;
    this.readOff = this.rcvNxt;
  }

  /** Copies up to `len` unread bytes to dst; returns the count. */
  read(dst: Uint8Array, dstOff: number, len: number): number {
    const n = Math.min(len, this.readable);
    const size = this.ring.length;
    let done = 0;
    while (done < n) {
      const pos = (this.readOff + done) % size;
      const k = Math.min(n - done, size - pos);
      dst.set(this.ring.subarray(pos, pos + k), dstOff + done);
      done += k;
    }
    this.readOff += n;
    return n;
  }

  /** The longest contiguous view of unread bytes (valid until the next store or consume). */
  peek(): Uint8Array {
    const size = this.ring.length;
    const pos = this.readOff % size;
    const n = Math.min(this.readable, size - pos);
    return this.ring.subarray(pos, pos + n);
  }

  consume(n: number): void {
    if (n < 0 || n > this.readable) throw new RangeError(`cannot consume ${n} of ${this.readable} readable bytes`);
    this.readOff += n;
  }

  private copyIn(src: Uint8Array, srcOff: number, off: number, len: number): void {
    if (off + len - this.readOff > this.ring.length) this.grow(off + len - this.readOff);
    const size = this.ring.length;
    let done = 0;
    while (done < len) {
      const pos = (off + done) % size;
      const k = Math.min(len - done, size - pos);
      copyBytes(this.ring, pos, src, srcOff + done, k);
      done += k;
    }
  }

  /** Re-lays [readOff, highest stored byte) into a ring of at least `need` bytes. */
  private grow(need: number): void {
    let size = this.ring.length;
    while (size < need) size *= 2;
    if (size > this.capacity) size = this.capacity;
    const old = this.ring;
    const next = new Uint8Array(size);
    const end = this.highestOff;
    for (let o = this.readOff; o < end; ) {
      const pos = o % old.length;
      const k = Math.min(end - o, old.length - pos, size - (o % size));
      next.set(old.subarray(pos, pos + k), o % size);
      o += k;
    }
    this.ring = next;
  }

  private mergeFront(): void {
    const q = this.ooo;
    let drop = 0;
    while (drop < q.length && q[drop]! <= this.rcvNxt) {
      if (q[drop + 1]! > this.rcvNxt) this.rcvNxt = q[drop + 1]!;
      drop += 2;
    }
    if (drop > 0) q.splice(0, drop);
  }

  private insert(start: number, end: number): void {
    const q = this.ooo;
    let i = 0;
    while (i < q.length && q[i + 1]! < start) i += 2;
    // q[i..] all end at or after start; merge every interval that touches [start, end).
    let j = i;
    while (j < q.length && q[j]! <= end) {
      if (q[j]! < start) start = q[j]!;
      if (q[j + 1]! > end) end = q[j + 1]!;
      j += 2;
    }
    q.splice(i, j - i, start, end);
  }
}
