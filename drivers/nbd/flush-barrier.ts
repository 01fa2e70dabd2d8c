/**
 * FLUSH ordering across every connection: a FLUSH covers the writes submitted before it, and is
 * sent only once all of them have been replied to, on whichever connection they went.
 *
 * Writes are stamped with the current epoch; a FLUSH closes the epoch. Counters live in a ring
 * indexed by epoch, so tracking costs two array writes per request and no allocation.
 */
export class FlushBarrier {
  private readonly outstanding: Int32Array;
  private readonly mask: number;
  /** Epoch new writes join. */
  private current = 0;
  /** Every write of an epoch ≤ `settled` has been replied to. */
  private settled = -1;

  /** `open`: injected bug flush-barrier-off, a FLUSH never waits. */
  constructor(ringSize = 1024, private readonly open = false) {
    if ((ringSize & (ringSize - 1)) !== 0 || ringSize < 2) throw new RangeError(`flush barrier: ring size must be a power of two ≥ 2, got ${ringSize}`);
    this.outstanding = new Int32Array(ringSize);
    this.mask = ringSize - 1;
  }

  /** A write enters; answers its epoch. */
  writeStarted(): number {
    this.outstanding[this.current & this.mask]!++;
    return this.current;
  }

  /** A write's reply came (success or final failure). */
  writeDone(epoch: number): void {
    this.outstanding[epoch & this.mask]!--;
    this.advance();
  }

  /**
   * A FLUSH arrives; answers the epoch it covers. Throws when more epochs would be unsettled
   * at once than the ring has counters.
   */
  flushArrived(): number {
    const covers = this.current;
    // Epochs settled+1 .. covers+1 will hold counters at once; the ring must tell them apart.
    if (covers - this.settled > this.mask) throw new RangeError(`flush barrier: ${covers + 1 - this.settled} unsettled epochs exceed the ring of ${this.mask + 1}`);
    this.current++;
    this.advance();
    return covers;
  }

  /** True when every write a FLUSH covering `epoch` waits for has been replied to. */
  ready(epoch: number): boolean {
    return this.open || epoch <= this.settled;
  }

  /** Writes not yet replied to, over all epochs. */
  get pendingWrites(): number {
    let n = 0;
    for (let e = this.settled + 1; e <= this.current; e++) n += this.outstanding[e & this.mask]!;
    return n;
  }

  private advance(): void {
    while (this.settled + 1 < this.current && this.outstanding[(this.settled + 1) & this.mask] === 0) this.settled++;
  }
}
