/**
 * NewReno congestion control (RFC 5681 + RFC 6582): slow start, congestion avoidance, fast
 * recovery with partial-ACK retransmission. Pure window arithmetic; the socket does the sending.
 * All sequence positions are stream offsets.
 */
export class NewReno {
  cwnd: number;
  ssthresh = Number.MAX_SAFE_INTEGER;
  inRecovery = false;
  /** Highest offset sent when recovery (or the last timeout) began. */
  recover = -1;
  dupAcks = 0;
  private caAcked = 0;

  constructor(
    public mss: number,
    private readonly initCwndSegs: number,
  ) {
    this.cwnd = initCwndSegs * mss;
  }

  get initialWindow(): number {
    return this.initCwndSegs * this.mss;
  }

  /** `acked` new bytes, with `flightBefore` bytes outstanding before this ACK. */
  onAck(acked: number, ackOff: number, flightBefore: number): 'full' | 'partial' | 'none' {
    this.dupAcks = 0;
    if (this.inRecovery) {
      if (ackOff >= this.recover) {
        // Full ACK: deflate to ssthresh (RFC 6582 3.2 step 3, option 2, as Linux does). Option 1,
        // min(ssthresh, FlightSize + SMSS), collapses to one segment when the full ACK leaves
        // nothing outstanding, and one segment then waits out the peer's delayed-ACK timer.
        this.inRecovery = false;
        this.cwnd = this.ssthresh;
        this.caAcked = 0;
        return 'full';
      }
      // Partial ACK: deflate by what was acknowledged, add back one segment (RFC 6582 3.2.3).
      this.cwnd = Math.max(this.cwnd - acked + (acked >= this.mss ? this.mss : 0), this.mss);
      return 'partial';
    }
    // Grow only while the window is what limits us (RFC 7661 spirit).
    if (flightBefore * 2 < this.cwnd) return 'none';
    if (this.cwnd < this.ssthresh) {
      this.cwnd = Math.min(this.cwnd + acked, Math.max(this.ssthresh, this.cwnd + this.mss));
    } else {
      this.caAcked += acked;
      while (this.caAcked >= this.cwnd) {
        this.caAcked -= this.cwnd;
        this.cwnd += this.mss;
      }
    }
    return 'none';
  }

  /**
   * A duplicate ACK. Returns true when it is the `thresh`-th (3, or fewer under early
   * retransmit) and fast retransmit should fire; inside recovery each further duplicate
   * inflates the window by one segment.
   */
  onDupAck(sndUna: number, sndMax: number, thresh = 3): boolean {
    this.dupAcks++;
    if (this.inRecovery) {
      this.cwnd += this.mss;
      return false;
    }
    // RFC 6582 4.1: only a fresh loss, not duplicates of what the last recovery already resent.
    if (this.dupAcks === thresh && sndUna >= this.recover) {
      this.ssthresh = Math.max(Math.floor((sndMax - sndUna) / 2), 2 * this.mss);
      this.recover = sndMax;
      this.inRecovery = true;
      this.cwnd = this.ssthresh + 3 * this.mss;
      return true;
    }
    return false;
  }

  /** The retransmission timer fired (first of a series: `first`). */
  onTimeout(flight: number, sndMax: number, first: boolean): void {
    if (first) this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.recover = sndMax;
    this.dupAcks = 0;
    this.caAcked = 0;
  }

  /** Restart after idle (RFC 5681 4.1): an idle connection does not burst a stale window. */
  onIdleRestart(): void {
    this.cwnd = Math.min(this.cwnd, this.initialWindow);
  }
}
