/**
 * A cursor over a chain of received chunks. Chunks are kept by reference (never re-copied);
 * headers are peeked in place, payloads leave as zero-copy views of the chunk they sit in or are
 * copied once into a caller's buffer. The caller must not modify a chunk after pushing it, unless
 * it calls detach() first (which copies what is still unread).
 */
export class ByteQueue {
  /** Grows to its working size and is never shrunk, so pushing allocates nothing. */
  private readonly chunks: Uint8Array[] = [];
  /** Index of the first live chunk in `chunks`; consumed chunks are dropped lazily. */
  private first = 0;
  /** End of the live chunks (slots past it hold EMPTY). */
  private end = 0;
  /** Read offset inside chunks[first]. */
  private off = 0;
  private avail = 0;
  /** chunks[first, owned) are the queue's own copies (made by detach); what is past it is the caller's. */
  private owned = 0;
  /** Bytes detach() has copied, over the queue's life (receive work is linear in bytes received). */
  copied = 0;

  get length(): number {
    return this.avail;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.end === this.chunks.length) this.chunks.push(bytes);
    else this.chunks[this.end] = bytes;
    this.end++;
    this.avail += bytes.length;
  }

  /** Byte at `at` positions past the cursor; caller ensures at < length. */
  u8(at: number): number {
    let i = this.first;
    let pos = this.off + at;
    for (;;) {
      const c = this.chunks[i]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      i++;
    }
  }

  /** Big-endian u16 at `at`; caller ensures at + 2 <= length. */
  u16(at: number): number {
    const c = this.chunks[this.first]!;
    const p = this.off + at;
    if (p + 2 <= c.length) return (c[p]! << 8) | c[p + 1]!;
    return (this.u8(at) << 8) | this.u8(at + 1);
  }

  /** Big-endian u32 at `at` (unsigned); caller ensures at + 4 <= length. */
  u32(at: number): number {
    const c = this.chunks[this.first]!;
    const p = this.off + at;
    if (p + 4 <= c.length) return ((c[p]! << 24) | (c[p + 1]! << 16) | (c[p + 2]! << 8) | c[p + 3]!) >>> 0;
    return ((this.u8(at) << 24) | (this.u8(at + 1) << 16) | (this.u8(at + 2) << 8) | this.u8(at + 3)) >>> 0;
  }

  /** Big-endian u64 at `at` as a number (exact below 2^53). */
  u64(at: number): number {
    return this.u32(at) * 0x100000000 + this.u32(at + 4);
  }

  /** Big-endian u64 at `at`, exact. */
  u64n(at: number): bigint {
    return (BigInt(this.u32(at)) << 32n) | BigInt(this.u32(at + 4));
  }

  /** Where the bytes peekView() returned start in its result. */
  peekAt = 0;
  /** A DataView over the whole buffer the chunks last peeked live in (a socket's receive ring: one per queue). */
  private dv: DataView = EMPTY_VIEW;
  private dvOf: ArrayBufferLike | null = null;

  /**
   * The next `n` bytes (0 < n ≤ length), not consumed, readable from peekAt: a DataView of the
   * buffer of the chunk they sit in when they lie in one (a header usually does: a view made once
   * per buffer, a big-endian field read by one DataView call, not assembled byte by byte), else a
   * copy in `scratch` (at least `n` bytes long).
   */
  peekView(n: number, scratch: DataView): DataView {
    const c = this.chunks[this.first]!;
    if (this.off + n <= c.length) {
      const buf = c.buffer;
      if (buf !== this.dvOf) {
        this.dv = new DataView(buf);
        this.dvOf = buf;
      }
      this.peekAt = c.byteOffset + this.off;
      return this.dv;
    }
    for (let i = 0; i < n; i++) scratch.setUint8(i, this.u8(i));
    this.peekAt = 0;
    return scratch;
  }

  /** Drops `n` bytes (at most what is queued). */
  skip(n: number): void {
    let left = Math.min(n, this.avail);
    this.avail -= left;
    while (left > 0) {
      const c = this.chunks[this.first]!;
      const inChunk = c.length - this.off;
      if (left < inChunk) {
        this.off += left;
        return;
      }
      left -= inChunk;
      this.dropFirst();
    }
  }

  /** Consumes up to `max` bytes that lie in the current chunk and returns them as a view. */
  view(max: number): Uint8Array {
    if (this.avail === 0 || max <= 0) return EMPTY;
    const c = this.chunks[this.first]!;
    const n = Math.min(max, c.length - this.off);
    // Read data: a view made on the chunk's storage, what subarray makes without its species
    // lookup (about half its cost). Not for a short chunk: it may live in the heap, and asking for
    // its storage would move it out.
    const v = n > 64 ? new Uint8Array(c.buffer, c.byteOffset + this.off, n) : c.subarray(this.off, this.off + n);
    this.avail -= n;
    this.off += n;
    if (this.off === c.length) this.dropFirst();
    return v;
  }

  /** Consumes `n` bytes (at most what is queued) into `dst` at `dstOff`. */
  copyTo(dst: Uint8Array, dstOff: number, n: number): void {
    n = Math.min(n, this.avail);
    let done = 0;
    while (done < n) {
      const v = this.view(n - done);
      dst.set(v, dstOff + done);
      done += v.length;
    }
  }

  /** Consumes `n` bytes (at most what is queued): a view when they sit in one chunk, else a copy. */
  take(n: number): Uint8Array {
    n = Math.min(n, this.avail);
    const c = this.chunks[this.first];
    if (n === 0) return EMPTY;
    if (c !== undefined && c.length - this.off >= n) return this.view(n);
    const out = new Uint8Array(n);
    this.copyTo(out, 0, n);
    return out;
  }

  /** Removes and returns every unread byte, as views of the chunks they sit in. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.avail > 0) out.push(this.view(this.avail));
    this.clear();
    return out;
  }

  /**
   * Copies the unread bytes of the chunks pushed since the last detach into one buffer of the
   * queue's own, so their owner may reuse them (a receive ring about to wrap). What an earlier
   * detach copied stays where it is: every byte is copied at most once, however long it waits.
   */
  detach(): void {
    if (this.avail === 0) return this.clear();
    const from = Math.max(this.owned, this.first);
    if (from >= this.end) return;
    let n = 0;
    for (let i = from; i < this.end; i++) n += this.chunks[i]!.length - (i === this.first ? this.off : 0);
    const own = new Uint8Array(n);
    let at = 0;
    for (let i = from; i < this.end; i++) {
      const c = this.chunks[i]!;
      const v = i === this.first ? c.subarray(this.off) : c;
      own.set(v, at);
      at += v.length;
      this.chunks[i] = EMPTY;
    }
    if (from === this.first) this.off = 0;
    this.chunks[from] = own;
    this.end = from + 1;
    this.owned = this.end;
    this.copied += n;
  }

  clear(): void {
    for (let i = this.first; i < this.end; i++) this.chunks[i] = EMPTY;
    this.first = 0;
    this.end = 0;
    this.off = 0;
    this.avail = 0;
    this.owned = 0;
  }

  private dropFirst(): void {
    this.chunks[this.first] = EMPTY;
    this.first++;
    this.off = 0;
    if (this.first === this.end) {
      this.first = 0;
      this.end = 0;
      this.owned = 0;
      return;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.first >= 64 && this.first * 2 >= this.end) {
      const c = this.chunks;
      const live = this.end - this.first;
      c.copyWithin(0, this.first, this.end);
      for (let i = live; i < this.end; i++) c[i] = EMPTY;
      this.owned = Math.max(0, this.owned - this.first);
      this.first = 0;
      this.end = live;
    }
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
