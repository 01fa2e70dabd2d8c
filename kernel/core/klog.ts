/**
 * Kernel log ring (dmesg): fixed capacity, oldest entries overwritten, virtual timestamps, and
 * printk_ratelimited-style suppression. Every accepted message is also a trace record.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { TraceBus } from '../../hw-sim/engine/trace.ts';

export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogEntry {
  readonly seq: number;
  readonly t: Ns;
  readonly level: LogLevel;
  /** Subsystem or device, e.g. `nbd0`, `blk`. */
  readonly src: string;
  readonly msg: string;
}

export interface RateLimit {
  intervalNs: Ns;
  burst: number;
}

interface RateState {
  windowStart: Ns;
  printed: number;
  missed: number;
}

/** printk_ratelimit defaults: 10 messages per 5 s. */
export const DEFAULT_RATELIMIT: RateLimit = { intervalNs: 5_000_000_000, burst: 10 };

export class KernelLog {
  private readonly ring: (LogEntry | undefined)[];
  private head = 0;
  private seq = 0;
  private readonly rates = new Map<string, RateState>();
  /** Messages dropped by rate limiting, all keys. */
  suppressed = 0;

  constructor(
    private readonly now: () => Ns,
    private readonly trace: TraceBus,
    private readonly traceSrc: string,
    readonly capacity = 1024,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`klog: capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<LogEntry | undefined>(capacity);
  }

  log(level: LogLevel, src: string, msg: string): void {
    const e: LogEntry = { seq: this.seq++, t: this.now(), level, src, msg };
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
    this.trace.emit(this.traceSrc, 'klog', { level, from: src, msg });
  }

  err(src: string, msg: string): void {
    this.log('err', src, msg);
  }
  warn(src: string, msg: string): void {
    this.log('warning', src, msg);
  }
  info(src: string, msg: string): void {
    this.log('info', src, msg);
  }
  debug(src: string, msg: string): void {
    this.log('debug', src, msg);
  }

  /**
   * Logs unless `key` already printed `burst` messages in the current interval. When a new
   * interval opens after suppression, a "N callbacks suppressed" line is logged first.
   * Returns whether the message was logged.
   */
  ratelimited(key: string, level: LogLevel, src: string, msg: string, limit: RateLimit = DEFAULT_RATELIMIT): boolean {
    const now = this.now();
    let s = this.rates.get(key);
    if (!s) {
      s = { windowStart: now, printed: 0, missed: 0 };
      this.rates.set(key, s);
    }
    if (now - s.windowStart >= limit.intervalNs) {
      if (s.missed > 0) this.log('warning', src, `${key}: ${s.missed} callbacks suppressed`);
      s.windowStart = now;
      s.printed = 0;
      s.missed = 0;
    }
    if (s.printed >= limit.burst) {
      s.missed++;
      this.suppressed++;
      return false;
    }
    s.printed++;
    this.log(level, src, msg);
    return true;
  }

  /** Entries oldest first, optionally only those at `maxLevel` or more severe. */
  entries(maxLevel: LogLevel = 'debug'): LogEntry[] {
    const limit = LOG_LEVELS.indexOf(maxLevel);
    const out: LogEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.ring[(this.head + i) % this.capacity];
      if (e && LOG_LEVELS.indexOf(e.level) <= limit) out.push(e);
    }
    return out;
  }

  /** Total messages logged (including those since overwritten). */
  get total(): number {
    return this.seq;
  }

  /** dmesg-style text: `[   12.345678] src: msg`. */
  format(maxLevel: LogLevel = 'debug'): string {
    return this.entries(maxLevel)
      .map((e) => `[${(e.t / 1e9).toFixed(6).padStart(12)}] ${e.src}: ${e.msg}`)
      .join('\n');
  }
}
