/**
 * The send buffer as a list of chunks (the skb queue). Bytes are copied in once by send(); a
 * packet payload is a view into a chunk, read by the NIC, the wire and the pcap tap after we
 * sent it. Offsets are stream offsets (0 = first data byte), not wrapped sequence numbers.
 *
 * Chunk buffers are recycled through a small pool instead of allocating 64 KiB per 64 KiB sent.
 * The invariant "a payload on the wire never changes" holds because a chunk's buffer is taken
 * back only when all three are true:
 *   1. every byte of it is acknowledged (release);
 *   2. every packet made from it has been reported done by the device (unref, from the TX
 *      completion; a packet dropped before the device is done at once);
 *   3. none of its bytes was ever sent twice (markResent). With a single transmission per byte,
 *      the cumulative ACK proves that transmission reached the peer, so no older copy can still
 *      be travelling; after a retransmission the first copy may be, so such a chunk is left to
 *      the garbage collector, never reused.
 * Pooling is off unless the device reports completions (`pooling`), as 2 needs them.
 * What the stack cannot see: a frame the fabric duplicates on one hop and holds back (reorder)
 * on a later hop can arrive after its twin was acknowledged; the receiver drops it unread as an
 * old duplicate, but a capture at that link would show the reused bytes.
 */

/** One chunk of the send buffer and what still refers to it. */
export interface SendChunk {
  readonly buf: Uint8Array;
  /** buf's storage (buf starts at its byte 0): views are made from it, cheaper than subarray. */
  readonly ab: ArrayBuffer;
  /** Stream offset of buf[0]. */
  readonly start: number;
  /**
   * Stream offset one past buf's last byte (start + buf.length). Lookups compare offsets with it
   * instead of reading buf.length: with pooled buffers buf is an old object, a likely cache miss.
   */
  readonly end: number;
  /** Packets made from this chunk that the device has not completed. */
  refs: number;
  /** Some byte of it was transmitted more than once. */
  resent: boolean;
  acked: boolean;
  /** The buffer went back to the pool (once only). */
  recycled: boolean;
}

/** Free buffers kept for reuse: what is in flight between ACK and TX completion, with room. */
import { copyBytes } from '../copy-bytes.ts';

const POOL_MAX = 16;
const EMPTY = new Uint8Array(0);

export class SendQueue {
  private chunks: SendChunk[] = [];
  private head = 0;
  /** Stream offset one past the last byte queued. */
  private endOff = 0;
  /** Stream offset below which bytes are acknowledged and released. */
  private ackedOff = 0;
  private readonly pool: Uint8Array[] = [];
  /** Reuse buffers (only with a device that reports TX completions). */
  pooling = false;
  /** Buffers allocated and taken from the pool, for tests and stats. */
  allocated = 0;
  reused = 0;
  /** The chunk the last view() came from (the packet being built). */
  lastChunk: SendChunk | null = null;
  /** Index in `chunks` of the chunk find() returned last: sending moves forward from it. */
  private hint = 0;
  /**
   * The last chunk's buffer and stream range, kept here: append() writes into them without
   * reading the chunk list and the chunk (likely cache misses between two sends of a socket).
   * tailEnd === endOff: the last chunk is full (or there is none), the next byte needs a new one.
   */
  private tailBuf: Uint8Array = EMPTY;
  private tailStart = 0;
  private tailEnd = 0;

  constructor(
    /** Chunk size: the largest offload packet, a multiple of the MSS. */
    private chunkSize: number,
    public limit: number,
  ) {}

  get end(): number {
    return this.endOff;
  }

  /** Bytes queued and not yet acknowledged: what counts against SO_SNDBUF. */
  get used(): number {
    return this.endOff - this.ackedOff;
  }

  get free(): number {
    return Math.max(0, this.limit - this.used);
  }

  /** Changes the chunk size for chunks allocated from now on (after the MSS is known). */
  setChunkSize(n: number): void {
    this.chunkSize = n;
  }

  /** Copies up to `len` bytes in; returns how many fit. */
  append(src: Uint8Array, off: number, len: number): number {
    const n = Math.min(len, this.free);
    let done = 0;
    while (done < n) {
      if (this.tailEnd === this.endOff) this.addChunk();
      const k = Math.min(n - done, this.tailEnd - this.endOff);
      copyBytes(this.tailBuf, this.endOff - this.tailStart, src, off + done, k);
      done += k;
      this.endOff += k;
    }
    return n;
  }

  /** A new last chunk from endOff on (the last one is full). */
  private addChunk(): void {
    const buf = this.takeBuffer();
    const start = this.endOff;
    this.chunks.push({ buf, ab: buf.buffer as ArrayBuffer, start, end: start + buf.length, refs: 0, resent: false, acked: false, recycled: false });
    this.tailBuf = buf;
    this.tailStart = start;
    this.tailEnd = start + buf.length;
  }

  /** Contiguous bytes available at `off` within one chunk, up to the end of data. */
  contiguous(off: number): number {
    const c = this.find(off);
    if (c === null) return 0;
    return Math.min(c.end, this.endOff) - off;
  }

  /** A view of `len` bytes at `off` (within one chunk: call contiguous() first); sets lastChunk. */
  view(off: number, len: number): Uint8Array {
    const c = this.find(off);
    if (c === null) throw new RangeError(`send queue has no byte at offset ${off}`);
    this.lastChunk = c;
    // A view on the chunk's ArrayBuffer: what subarray makes, without its species lookup (half the cost).
    return new Uint8Array(c.ab, off - c.start, len);
  }

  /** The bytes at `off` are going out again: their chunk is never reused (an old copy may fly). */
  markResent(off: number): void {
    const c = this.find(off);
    if (c !== null) c.resent = true;
  }

  /** The device is done with one packet made from `c`. */
  unref(c: SendChunk): void {
    c.refs--;
    this.recycle(c);
  }

  /** Releases everything below `off` (acknowledged). */
  release(off: number): void {
    if (off <= this.ackedOff) return;
    this.ackedOff = Math.min(off, this.endOff);
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (c.end > this.ackedOff || c.end > this.endOff) break;
      c.acked = true;
      this.recycle(c);
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.hint = Math.max(0, this.hint - this.head);
      this.head = 0;
    }
  }

  private takeBuffer(): Uint8Array {
    while (this.pool.length > 0) {
      const b = this.pool.pop()!;
      if (b.length === this.chunkSize) {
        this.reused++;
        return b;
      }
    }
    this.allocated++;
    return new Uint8Array(this.chunkSize);
  }

  private recycle(c: SendChunk): void {
    if (!this.pooling || !c.acked || c.refs > 0 || c.resent || c.recycled) return;
    c.recycled = true;
    if (this.pool.length < POOL_MAX) this.pool.push(c.buf);
  }

  private find(off: number): SendChunk | null {
    if (off < this.ackedOff || off >= this.endOff) return null;
    // Chunks from the head on cover [ackedOff, endOff) without gaps, in order. Start at the chunk
    // found last: contiguous() then view() ask for the same one, and sending moves on to the next
    // (a scan from the head read every chunk before it, each a likely cache miss in a long queue).
    const chunks = this.chunks;
    let i = this.hint < this.head ? this.head : this.hint;
    let c = chunks[i]!;
    while (c.start > off) c = chunks[--i]!;
    while (c.end <= off) c = chunks[++i]!;
    this.hint = i;
    return c;
  }
}
