/**
 * The last 256 writes (offset ranges) with a running sequence number. Data read from the server
 * is stored in the cache only if no write to its range came after the read was sent: the reply
 * may predate that write. When more than 256 writes came since, the answer is "maybe" (true).
 */
const RING = 256;

export class RecentWrites {
  private readonly off = new Float64Array(RING);
  private readonly end = new Float64Array(RING);
  seq = 0;

  note(offset: number, length: number): void {
    const i = this.seq % RING;
    this.off[i] = offset;
    this.end[i] = offset + length;
    this.seq++;
  }

  /** A write overlapping [offset, +length) may have come since sequence number `seq`. */
  since(seq: number, offset: number, length: number): boolean {
    if (this.seq - seq > RING) return true;
    const end = offset + length;
    for (let s = seq; s < this.seq; s++) {
      const i = s % RING;
      if (this.end[i]! > offset && this.off[i]! < end) return true;
    }
    return false;
  }

  /** Everything read before now is suspect (client crash). */
  forget(): void {
    this.seq += RING + 1;
  }
}
