import type { Ns } from '../../hw-sim/engine/time.ts';

/** Rates over a span of virtual time. */
export interface Rates {
  ops: number;
  bytes: number;
  /** Span measured, ns. */
  spanNs: Ns;
  iops: number;
  bytesPerSec: number;
}

/**
 * Counts operations and bytes since `start`, and over the last complete window of `windowNs`
 * (a tumbling window: the current one becomes `last` when time crosses its end). No allocation
 * per add.
 */
export class ThroughputMeter {
  private startNs: Ns = 0;
  private ops = 0;
  private bytes = 0;
  private winStart: Ns = 0;
  private winOps = 0;
  private winBytes = 0;
  private lastOps = 0;
  private lastBytes = 0;
  private lastSpan: Ns = 0;

  constructor(private readonly windowNs: Ns = 1_000_000_000) {
    if (!(windowNs > 0)) throw new RangeError(`throughput meter: window must be > 0 ns, got ${windowNs}`);
  }

  start(now: Ns): void {
    this.startNs = now;
    this.winStart = now;
    this.ops = this.bytes = this.winOps = this.winBytes = this.lastOps = this.lastBytes = 0;
    this.lastSpan = 0;
  }

  add(now: Ns, bytes: number): void {
    this.roll(now);
    this.ops++;
    this.bytes += bytes;
    this.winOps++;
    this.winBytes += bytes;
  }

  /** Rates from start() to `now`. */
  total(now: Ns): Rates {
    return rates(this.ops, this.bytes, now - this.startNs);
  }

  /** Rates over the last complete window (zeros before the first window ends). */
  lastWindow(now: Ns): Rates {
    this.roll(now);
    return rates(this.lastOps, this.lastBytes, this.lastSpan);
  }

  private roll(now: Ns): void {
    if (now - this.winStart < this.windowNs) return;
    const windows = Math.floor((now - this.winStart) / this.windowNs);
    // More than one window passed: the last complete one was idle.
    this.lastOps = windows === 1 ? this.winOps : 0;
    this.lastBytes = windows === 1 ? this.winBytes : 0;
    this.lastSpan = this.windowNs;
    this.winStart += windows * this.windowNs;
    this.winOps = 0;
    this.winBytes = 0;
  }
}

function rates(ops: number, bytes: number, spanNs: Ns): Rates {
  const s = spanNs / 1e9;
  return { ops, bytes, spanNs, iops: s > 0 ? ops / s : 0, bytesPerSec: s > 0 ? bytes / s : 0 };
}
