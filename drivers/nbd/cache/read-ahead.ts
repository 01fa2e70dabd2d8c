/**
 * On-demand read-ahead per device, after Linux's mm/readahead.c: a few streams, each the next
 * offset it expects. A read continuing a stream starts read-ahead with an initial window (4×
 * the request when small, 2× when medium, else the maximum); when the reader reaches the start
 * of the window fetched last, the next window is fetched behind it, grown (4× while below 1/16
 * of the maximum, else 2×) up to `maxBytes` (read_ahead_size). A read that continues nothing
 * takes over the least recently used stream.
 */
const STREAMS = 4;

export interface ReadAheadWindow {
  offset: number;
  length: number;
}

export class ReadAhead {
  private readonly next = new Float64Array(STREAMS).fill(-1);
  /** End of what was fetched ahead; where the next window starts. */
  private readonly fetchedEnd = new Float64Array(STREAMS);
  /** Reaching this offset triggers the next window (start of the last window). */
  private readonly mark = new Float64Array(STREAMS).fill(-1);
  private readonly size = new Float64Array(STREAMS);
  private readonly used = new Float64Array(STREAMS);
  private clock = 0;
  windows = 0;
  bytes = 0;

  constructor(readonly maxBytes: number, private readonly deviceBytes: () => number) {}

  get enabled(): boolean { return this.maxBytes > 0; }

  /**
   * A read of [offset, +length) was issued (hit or miss). Answers true and fills `w` when a
   * window should be fetched now.
   */
  onRead(offset: number, length: number, w: ReadAheadWindow): boolean {
    if (!this.enabled || length === 0) return false;
    this.clock++;
    const end = offset + length;
    // A loop, not next.indexOf: the builtin's call cost more than four compares (on every read).
    let i = -1;
    for (let k = 0; k < STREAMS; k++) if (this.next[k] === offset) { i = k; break; }
    if (i < 0) {
      // A read inside the window fetched ahead also continues its stream (the reader skipped
      // nothing it had not asked for): look for the stream whose fetched span holds it.
      for (let k = 0; k < STREAMS; k++) if (this.mark[k]! >= 0 && offset > this.next[k]! && offset < this.fetchedEnd[k]!) { i = k; break; }
    }
    if (i < 0) {
      i = this.lru();
      this.next[i] = end;
      this.mark[i] = -1;
      this.size[i] = 0;
      this.fetchedEnd[i] = end;
      this.used[i] = this.clock;
      return false;
    }
    this.used[i] = this.clock;
    this.next[i] = end;
    let size: number;
    if (this.mark[i]! < 0) size = this.initial(length);
    else if (end > this.mark[i]!) size = this.grow(this.size[i]!);
    else return false;
    const start = Math.max(this.fetchedEnd[i]!, end);
    const limit = this.deviceBytes();
    const len = Math.min(size, limit - start);
    if (len <= 0) return false;
    this.size[i] = size;
    this.mark[i] = start;
    this.fetchedEnd[i] = start + len;
    w.offset = start;
    w.length = len;
    this.windows++;
    this.bytes += len;
    return true;
  }

  /** What the issuer really fetched (it may cut a window short): the stream resumes from there. */
  fetchedUpTo(offset: number, end: number): void {
    for (let k = 0; k < STREAMS; k++) if (this.mark[k] === offset) this.fetchedEnd[k] = end;
  }

  private initial(req: number): number {
    const max = this.maxBytes;
    const r = pow2(req);
    if (r <= max / 32) return Math.min(max, r * 4);
    if (r <= max / 4) return Math.min(max, r * 2);
    return max;
  }

  private grow(cur: number): number {
    const max = this.maxBytes;
    if (cur < max / 16) return Math.min(max, cur * 4);
    return Math.min(max, cur * 2);
  }

  private lru(): number {
    let best = 0;
    for (let k = 1; k < STREAMS; k++) if (this.used[k]! < this.used[best]!) best = k;
    return best;
  }
}

function pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
