/**
 * FLUSH ordering on one connection (proto.md "Ordering of messages and writes"): a FLUSH goes out
 * only once the replies of every write submitted before it are in. Writes submitted after the
 * FLUSH do not hold it back. Coordination across connections is the driver's job.
 */
export class FlushGate {
  private seq = 0;
  /** Per tag: the sequence number of the write in flight on it (0: none). */
  private readonly writeSeq: Float64Array;
  /** Held flushes: tag → [sequence of the last write they cover, writes still outstanding]. */
  private readonly held = new Map<number, [number, number]>();

  constructor(tags: number) {
    this.writeSeq = new Float64Array(tags);
  }

  /** A write (WRITE, WRITE_ZEROES, TRIM) was sent on `tag`. */
  wrote(tag: number): void {
    this.writeSeq[tag] = ++this.seq;
  }

  /** A FLUSH on `tag` wants to go out: true to send it now, false if it is held. */
  flush(tag: number): boolean {
    let outstanding = 0;
    for (let t = 0; t < this.writeSeq.length; t++) if (this.writeSeq[t]! > 0) outstanding++;
    if (outstanding === 0) return true;
    this.held.set(tag, [this.seq, outstanding]);
    return false;
  }

  isHeld(tag: number): boolean {
    return this.held.has(tag);
  }

  /** The write on `tag` was answered; `release` is called for each flush that may now go. */
  answered(tag: number, release: (flushTag: number) => void): void {
    const s = this.writeSeq[tag]!;
    if (s === 0) return;
    this.writeSeq[tag] = 0;
    if (this.held.size === 0) return;
    for (const [ftag, h] of this.held) {
      if (h[0] < s) continue;
      if (--h[1] === 0) {
        this.held.delete(ftag);
        release(ftag);
      }
    }
  }

  clear(): void {
    this.writeSeq.fill(0);
    this.held.clear();
  }
}
