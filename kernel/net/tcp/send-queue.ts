/**
 * The send buffer as a list of chunks (the skb queue). Bytes are copied in once by send(); a
 * chunk is never written below its fill mark and never reused, so a packet payload can be a view
 * into it: the NIC, the wire and the pcap tap read it after we sent it without it ever changing.
 * Offsets are stream offsets (0 = first data byte), not wrapped sequence numbers.
 */
export class SendQueue {
  private chunks: Uint8Array[] = [];
  /** Stream offsets of each chunk's first byte (parallel to chunks). */
  private starts: number[] = [];
  private head = 0;
  /** Stream offset one past the last byte queued. */
  private endOff = 0;
  /** Stream offset below which bytes are acknowledged and released. */
  private ackedOff = 0;

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
      const last = this.chunks.length - 1;
      let tail = last >= this.head ? this.chunks[last] : undefined;
      let fill = tail ? this.endOff - this.starts[last]! : 0;
      if (!tail || fill === tail.length) {
        tail = new Uint8Array(this.chunkSize);
        this.chunks.push(tail);
        this.starts.push(this.endOff);
        fill = 0;
      }
      const k = Math.min(n - done, tail.length - fill);
      tail.set(src.subarray(off + done, off + done + k), fill);
      done += k;
      this.endOff += k;
    }
    return n;
  }

  /** Contiguous bytes available at `off` within one chunk, up to the end of data. */
  contiguous(off: number): number {
    const i = this.find(off);
    if (i < 0) return 0;
    const start = this.starts[i]!;
    return Math.min(this.chunks[i]!.length - (off - start), this.endOff - off);
  }

  /** A view of `len` bytes at `off` (within one chunk: call contiguous() first). */
  view(off: number, len: number): Uint8Array {
    const i = this.find(off);
    if (i < 0) throw new RangeError(`send queue has no byte at offset ${off}`);
    const rel = off - this.starts[i]!;
    return this.chunks[i]!.subarray(rel, rel + len);
  }

  /** Releases everything below `off` (acknowledged). */
  release(off: number): void {
    if (off <= this.ackedOff) return;
    this.ackedOff = Math.min(off, this.endOff);
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      const start = this.starts[this.head]!;
      if (start + c.length > this.ackedOff || start + c.length > this.endOff) break;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }

  private find(off: number): number {
    if (off < this.ackedOff || off >= this.endOff) return -1;
    // Usually the segment at the head or near it; chunks are few (sndbuf / 64 KiB).
    for (let i = this.head; i < this.chunks.length; i++) {
      const start = this.starts[i]!;
      if (off >= start && off < start + this.chunks[i]!.length) return i;
    }
    return -1;
  }
}
