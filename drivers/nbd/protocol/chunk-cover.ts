/**
 * What the content chunks of one structured READ reply have covered so far, as sorted disjoint
 * [start, end) ranges (touching ranges merged, so chunks in order keep one range). proto.md:
 * the server MUST NOT send content chunks that overlap; a sum of chunk lengths cannot tell an
 * overlap that leaves a gap from full coverage, so the ranges themselves are kept.
 */
export class ChunkCover {
  /**
   * Flat [start0, end0, start1, end1, ...], sorted, disjoint, not touching: entries [0, n). Kept
   * at its size between replies (emptying a JS array frees its storage, so every reply allocated).
   */
  private readonly r: number[] = [];
  private n = 0;

  reset(): void {
    this.n = 0;
  }

  /** Adds [start, end); false (and nothing added) when it overlaps what is covered. */
  add(start: number, end: number): boolean {
    const r = this.r;
    const n = this.n;
    // Fast path: in order, after everything covered.
    if (n === 0 || start >= r[n - 1]!) {
      if (n > 0 && start === r[n - 1]!) r[n - 1] = end;
      else {
        r[n] = start;
        r[n + 1] = end;
        this.n = n + 2;
      }
      return true;
    }
    // First range whose end is past start (binary search over the pairs).
    let lo = 0;
    let hi = n / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid + 1]! <= start) lo = mid + 1;
      else hi = mid;
    }
    const i = 2 * lo;
    if (i < n && r[i]! < end) return false;
    const joinLeft = i > 0 && r[i - 1] === start;
    const joinRight = i < n && r[i] === end;
    if (joinLeft && !joinRight) r[i - 1] = end;
    else if (joinRight && !joinLeft) r[i] = start;
    else {
      // Out of order (rare): splice the used part.
      r.length = n;
      if (joinLeft) r.splice(i - 1, 2);
      else r.splice(i, 0, start, end);
      this.n = r.length;
    }
    return true;
  }
}
