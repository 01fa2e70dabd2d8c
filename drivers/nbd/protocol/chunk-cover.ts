/**
 * What the content chunks of one structured READ reply have covered so far, as sorted disjoint
 * [start, end) ranges (touching ranges merged, so chunks in order keep one range). proto.md:
 * the server MUST NOT send content chunks that overlap; a sum of chunk lengths cannot tell an
 * overlap that leaves a gap from full coverage, so the ranges themselves are kept.
 */
export class ChunkCover {
  /** Flat [start0, end0, start1, end1, ...], sorted, disjoint, not touching. */
  private readonly r: number[] = [];

  reset(): void {
    this.r.length = 0;
  }

  /** Adds [start, end); false (and nothing added) when it overlaps what is covered. */
  add(start: number, end: number): boolean {
    const r = this.r;
    const n = r.length;
    // Fast path: in order, after everything covered.
    if (n === 0 || start >= r[n - 1]!) {
      if (n > 0 && start === r[n - 1]!) r[n - 1] = end;
      else r.push(start, end);
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
    if (joinLeft && joinRight) r.splice(i - 1, 2);
    else if (joinLeft) r[i - 1] = end;
    else if (joinRight) r[i] = start;
    else r.splice(i, 0, start, end);
    return true;
  }
}
