/** Clock granularity G of RFC 6298 (a jiffy of 1 ms, as Linux at HZ=1000). */
const GRANULARITY_NS = 1_000_000;

/** Retransmission timeout per RFC 6298: SRTT/RTTVAR smoothing, clamping and backoff. */
export class RttEstimator {
  srttNs = 0;
  rttvarNs = 0;
  /** The un-backed-off RTO. */
  private baseRtoNs: number;
  private backoffN = 0;
  /**
   * The RTO in force: baseRto << backoff, at most maxRto. A field kept up to date by the three
   * methods that change its inputs, not a getter: it is read on every ACK, and the callers are
   * past the optimiser's inlining budget, so a getter was a call each time.
   */
  private rto: number;

  constructor(
    initialRtoNs: number,
    private readonly minRtoNs: number,
    private readonly maxRtoNs: number,
  ) {
    this.baseRtoNs = initialRtoNs;
    this.rto = this.computeRto();
  }

  get rtoNs(): number {
    return this.rto;
  }

  /** Consecutive timeouts: the RTO is baseRto << backoff. */
  get backoff(): number {
    return this.backoffN;
  }

  private computeRto(): number {
    // Without backoff (the usual case) no Math.pow.
    const rto = this.backoffN === 0 ? this.baseRtoNs : this.baseRtoNs * 2 ** this.backoffN;
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
    this.rto = this.computeRto();
  }

  /** A timeout fired: double the RTO (5.5). */
  onTimeout(): void {
    if (this.rto < this.maxRtoNs) {
      this.backoffN++;
      this.rto = this.computeRto();
    }
  }

  /** New data was acknowledged: the backoff ends. */
  onProgress(): void {
    if (this.backoffN === 0) return;
    this.backoffN = 0;
    this.rto = this.computeRto();
  }
}
