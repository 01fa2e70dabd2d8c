/** Clock granularity G of RFC 6298 (a jiffy of 1 ms, as Linux at HZ=1000). */
const GRANULARITY_NS = 1_000_000;

/** Retransmission timeout per RFC 6298: SRTT/RTTVAR smoothing, clamping and backoff. */
export class RttEstimator {
  srttNs = 0;
  rttvarNs = 0;
  /** The un-backed-off RTO. */
  private baseRtoNs: number;
  /** Consecutive timeouts: the RTO is baseRto << backoff. */
  backoff = 0;

  constructor(
    initialRtoNs: number,
    private readonly minRtoNs: number,
    private readonly maxRtoNs: number,
  ) {
    this.baseRtoNs = initialRtoNs;
  }

  get rtoNs(): number {
    // Read on every ACK; without backoff (the usual case) no Math.pow.
    const rto = this.backoff === 0 ? this.baseRtoNs : this.baseRtoNs * 2 ** this.backoff;
    return rto < this.maxRtoNs ? rto : this.maxRtoNs;
  }

  /** One RTT measurement from a segment that was not retransmitted (Karn). */
  sample(rNs: number): void {
    if (this.srttNs === 0) {
      this.srttNs = rNs;
      this.rttvarNs = rNs / 2;
    } else {
      this.rttvarNs = 0.75 * this.rttvarNs + 0.25 * Math.abs(this.srttNs - rNs);
      this.srttNs = 0.875 * this.srttNs + 0.125 * rNs;
    }
    const rto = Math.round(this.srttNs + Math.max(GRANULARITY_NS, 4 * this.rttvarNs));
    this.baseRtoNs = Math.min(Math.max(rto, this.minRtoNs), this.maxRtoNs);
  }

  /** A timeout fired: double the RTO (5.5). */
  onTimeout(): void {
    if (this.rtoNs < this.maxRtoNs) this.backoff++;
  }

  /** New data was acknowledged: the backoff ends. */
  onProgress(): void {
    this.backoff = 0;
  }
}
