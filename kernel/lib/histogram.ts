/**
 * HDR-style latency histogram over non-negative integer nanoseconds.
 *
 * Log-linear buckets: values below 256 are counted exactly; above, each power of two
 * [2^m, 2^(m+1)) is split into 128 equal sub-buckets, so a bucket is at most 1/128 of its lower
 * bound wide. Percentiles report the bucket midpoint (clamped to the observed min/max), so the
 * relative error is at most 1/256 (< 0.4 %). Counts live in one Float64Array that grows to the
 * highest bucket touched (48 KiB when full): most histograms of a run stay empty or cover a few
 * powers of two, and a fresh page costs a page fault. A steady record() allocates nothing.
 */

const LINEAR = 256; // values 0..255 have their own bucket
const SUB = 128; // sub-buckets per power of two above LINEAR
const SUB_BITS = 7;
const MAX_MSB = 52; // largest safe integer is below 2^53
const BUCKETS = LINEAR + (MAX_MSB - SUB_BITS) * SUB;
const TWO32 = 4294967296;

/** Index of the most significant set bit of a positive safe integer. */
function msb(v: number): number {
  if (v < TWO32) return 31 - Math.clz32(v);
  return 63 - Math.clz32(Math.floor(v / TWO32));
}

/** Bucket index of a value; exported for tests of the bucket layout. */
export function bucketIndex(v: number): number {
  // Literals for LINEAR (256), SUB (128), SUB_BITS (7) and 2^32 on this path: a module-level
  // constant is loaded and checked at each use in optimised code.
  if (v < 256) return v;
  if (v < 4294967296) {
    // Fast path (every latency under 4.3 s): integer bit operations only.
    const sh = 24 - Math.clz32(v);
    return 256 + (sh - 1) * 128 + ((v >>> sh) - 128);
  }
  return wideBucketIndex(v);
}

/** bucketIndex of a value of 2^32 or more: apart, so bucketIndex stays small enough to be inlined into record(). */
function wideBucketIndex(v: number): number {
  const shift = msb(v) - SUB_BITS; // ≥ 1
  const sub = Math.floor(v / 2 ** shift); // in [128, 256)
  return LINEAR + (shift - 1) * SUB + (sub - SUB);
}

/** A value that is not an integer below 2^32: validated, rounded, capped at the largest safe integer. */
function checkedNs(valueNs: number): number {
  if (!(valueNs >= 0) || !Number.isFinite(valueNs)) {
    throw new RangeError(`histogram: value must be a finite non-negative number of ns, got ${valueNs}`);
  }
  return valueNs > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.round(valueNs);
}

/** Smallest value that falls in bucket `i`. */
export function bucketLow(i: number): number {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const shift = Math.floor(k / SUB) + 1;
  return (SUB + (k % SUB)) * 2 ** shift;
}

/** Width of bucket `i` (number of distinct integers it holds). */
export function bucketWidth(i: number): number {
  if (i < LINEAR) return 1;
  return 2 ** (Math.floor((i - LINEAR) / SUB) + 1);
}

/** The percentiles every report shows. */
export interface LatencySummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export class Histogram {
  private counts = new Float64Array(0);
  private n = 0;
  private sum = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = 0;

  /** Records `count` occurrences of `valueNs` (rounded to an integer ns, ≥ 0). */
  record(valueNs: number, count = 1): void {
    // An integer below 2^32 (every latency under 4.3 s) needs no check and no rounding.
    const v = valueNs >>> 0 === valueNs ? valueNs : checkedNs(valueNs);
    const i = bucketIndex(v);
    // add()'s lines, not a call to it: record is inlined into hot callers, and with add as a
    // call of its own it cost 5 % more (a microbench of three records).
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]! += count;
    this.n += count;
    this.sum += v * count;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /**
   * record(valueNs) in each of three histograms, the value checked and its bucket found once (a
   * latency kept per op, per connection and per server).
   */
  static recordEach(valueNs: number, a: Histogram, b: Histogram, c: Histogram): void {
    const v = valueNs >>> 0 === valueNs ? valueNs : checkedNs(valueNs);
    const i = bucketIndex(v);
    a.add(i, v);
    b.add(i, v);
    c.add(i, v);
  }

  /** One occurrence of `v` (a checked value) in its bucket `i`. */
  private add(i: number, v: number): void {
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]! += 1;
    this.n += 1;
    this.sum += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** record(0), small enough to be inlined where a value is mostly 0 (a stage a request skips). */
  recordZero(): void {
    if (this.counts.length === 0) this.grow(0);
    this.counts[0]! += 1;
    this.n += 1;
    if (this.lo > 0) this.lo = 0;
  }

  /** Adds every observation of `other` into this histogram. */
  merge(other: Histogram): this {
    if (other.n === 0) return this;
    const last = other.lastIdx;
    if (last >= this.counts.length) this.grow(last);
    for (let i = other.firstIdx; i <= last; i++) {
      const c = other.counts[i]!;
      if (c !== 0) this.counts[i]! += c;
    }
    this.n += other.n;
    this.sum += other.sum;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    return this;
  }

  /** Room for bucket `i` and the next power of two above it (doubling at least; never beyond the last bucket). */
  private grow(i: number): void {
    const n = Math.min(BUCKETS, Math.max(2 * this.counts.length, i + 1 + SUB));
    const next = new Float64Array(n);
    next.set(this.counts);
    this.counts = next;
  }

  reset(): void {
    if (this.n > 0) this.counts.fill(0, this.firstIdx, this.lastIdx + 1);
    this.n = 0;
    this.sum = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = 0;
  }

  /**
   * Lowest and highest bucket touched (BUCKETS and -1 when empty), so scans skip the empty tail:
   * the buckets of the smallest and largest value, found when read instead of kept on every record.
   */
  private get firstIdx(): number {
    return this.n === 0 ? BUCKETS : bucketIndex(this.lo);
  }
  private get lastIdx(): number {
    return this.n === 0 ? -1 : bucketIndex(this.hi);
  }

  get count(): number {
    return this.n;
  }
  /** Smallest recorded value (0 when empty). */
  get min(): number {
    return this.n === 0 ? 0 : this.lo;
  }
  get max(): number {
    return this.hi;
  }
  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }
  get total(): number {
    return this.sum;
  }

  /**
   * Value at percentile `p` (0..100): the observation of rank ceil(p/100 · count) in sorted
   * order, to within the bucket resolution. 0 when empty.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`histogram: percentile must be in [0, 100], got ${p}`);
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = this.firstIdx, last = this.lastIdx; i <= last; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const mid = bucketLow(i) + (bucketWidth(i) - 1) / 2;
        const v = Math.round(mid);
        return v < this.lo ? this.lo : v > this.hi ? this.hi : v;
      }
    }
    return this.hi;
  }

  summary(): LatencySummary {
    return {
      count: this.n,
      min: this.min,
      max: this.max,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }

  /** Non-empty buckets as [lowest value, count] pairs, for exporters. */
  buckets(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = this.firstIdx, last = this.lastIdx; i <= last; i++) {
      const c = this.counts[i]!;
      if (c !== 0) out.push([bucketLow(i), c]);
    }
    return out;
  }
}
