/**
 * Received stream bytes waiting to make up whole records (Linux's strparser): one buffer,
 * compacted or grown as bytes arrive, read from the front.
 */
export class RecordBuffer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Copies `chunk` in (the caller's view is valid during its call only). */
  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const have = this.length;
      const to = have + chunk.length > this.buf.length ? new Uint8Array(Math.max(2 * this.buf.length, have + chunk.length, 4096)) : this.buf;
      to.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = to;
      this.start = 0;
      this.end = have;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  u8(i: number): number {
    return this.buf[this.start + i]!;
  }

  /** Big-endian u32 at `i` from the front. */
  u32(i: number): number {
    const b = this.buf, at = this.start + i;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  /** Consumes `n` bytes after skipping `skip`: a view, valid until the next push. */
  take(skip: number, n: number): Uint8Array {
    const from = this.start + skip;
    this.start = from + n;
    const v = this.buf.subarray(from, from + n);
    if (this.start === this.end) this.start = this.end = 0;
    return v;
  }
}
