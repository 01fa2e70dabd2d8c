import { createHash, type Hash } from 'node:crypto';
import type { Ns } from './time.ts';

/** Bytes of the digest's input buffered before they go to the hash. */
const BUF_BYTES = 1 << 16;
/** Integers up to this are written digit by digit; anything else through String(). */
const MAX_DIGITS_INT = Number.MAX_SAFE_INTEGER;

/** Data carried by a record: plain JSON values only, so the digest is the same on any machine. */
export type TraceData = Record<string, unknown> | undefined;

/** One externally visible step of the simulation. */
export interface TraceRecord {
  readonly t: Ns;
  readonly seq: number;
  /** Who did it: `client/nic0`, `server-a/tcp`, `nbd0/conn1`. */
  readonly src: string;
  /** What happened: `irq.raise`, `tx`, `state`, `rq.complete`. */
  readonly kind: string;
  readonly data: TraceData;
}

export type TraceSubscriber = (r: TraceRecord) => void;

/**
 * The trace bus: every record gets the next sequence number, goes to the subscribers and into a
 * running SHA-256 digest. Disabled, it costs one branch per emit and digests nothing.
 */
export class TraceBus {
  enabled = true;
  private seq = 0;
  private readonly subscribers: TraceSubscriber[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly lines = new LineHasher(this.hash);

  constructor(private readonly now: () => Ns) {}

  /** Records emitted so far. */
  get count(): number {
    return this.seq;
  }

  subscribe(fn: TraceSubscriber): () => void {
    this.subscribers.push(fn);
    return () => {
      const i = this.subscribers.indexOf(fn);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  emit(src: string, kind: string, data?: TraceData): void {
    if (!this.enabled) return;
    const r: TraceRecord = { t: this.now(), seq: this.seq++, src, kind, data };
    this.lines.line(r.t, r.seq, src, kind, data);
    for (let i = 0; i < this.subscribers.length; i++) this.subscribers[i]!(r);
  }

  /** Hex SHA-256 over every record so far. Reading it does not end the digest. */
  digest(): string {
    this.lines.flush();
    return this.hash.copy().digest('hex');
  }
}

/**
 * Canonical one-line form of a record: what the digest covers and what JSONL traces hold. The
 * bus hashes the same bytes without building this string (LineHasher).
 */
export function serialiseRecord(r: TraceRecord): string {
  return `${r.t} ${r.seq} ${r.src} ${r.kind} ${r.data === undefined ? '' : JSON.stringify(r.data)}\n`;
}

/**
 * The digest's input written straight as UTF-8 bytes: exactly serialiseRecord's line, without a
 * string per record. Flat data of numbers, booleans, null and printable-ASCII strings is written
 * byte by byte; any other value (nested, needing escapes, non-ASCII) goes through JSON.stringify
 * for that value, so the bytes never differ.
 */
class LineHasher {
  /** Grows (never flushes) within a line, so a line can always be rewound to a point in it. */
  private buf = Buffer.allocUnsafe(BUF_BYTES);
  private at = 0;
  /** The last line's t and where its digits sit in `buf` (lastTLen 0: not in the buffer). */
  private lastT = -1;
  private lastTAt = 0;
  private lastTLen = 0;

  constructor(private readonly hash: Hash) {}

  /** Feeds the canonical line of one record to the hash. */
  line(t: number, seq: number, src: string, kind: string, data: TraceData): void {
    if (this.at > BUF_BYTES - 1024) this.flush();
    const start = this.at;
    // Records of one event share t; the previous line's t bytes are reused.
    if (t === this.lastT && this.lastTLen > 0) {
      const n = this.lastTLen;
      this.room(n);
      const b = this.buf;
      const from = this.lastTAt;
      const to = this.at;
      for (let i = 0; i < n; i++) b[to + i] = b[from + i]!;
      this.lastTAt = to;
      this.at = to + n;
    } else {
      this.lastTAt = this.at;
      this.num(t, false);
      this.lastT = t;
      this.lastTLen = this.at - this.lastTAt;
    }
    this.byte(32);
    this.num(seq, false);
    this.byte(32);
    this.raw(src);
    this.byte(32);
    this.raw(kind);
    this.byte(32);
    if (data !== undefined) {
      try {
        if (data === null || typeof data !== 'object' || typeof data.toJSON === 'function' || Array.isArray(data)) this.text(JSON.stringify(data));
        else this.object(data);
      } catch (e) {
        // Unserialisable data (a bigint): no line, as when the line was built as a string.
        this.at = start;
        this.lastTLen = 0;
        throw e;
      }
    }
    this.byte(10);
  }

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.at === 0) return;
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
    this.lastTLen = 0;
  }

  private byte(c: number): void {
    if (this.at === this.buf.length) this.room(1);
    this.buf[this.at++] = c;
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  private object(d: Record<string, unknown>): void {
    const start = this.at;
    this.byte(123);
    let first = true;
    for (const k in d) {
      if (!Object.prototype.hasOwnProperty.call(d, k)) continue;
      const v = d[k];
      const ty = typeof v;
      if (v === undefined || ty === 'function' || ty === 'symbol') continue;
      if (ty === 'object' && v !== null) return this.whole(d, start);
      if (!first) this.byte(44);
      first = false;
      this.str(k);
      this.byte(58);
      if (ty === 'number') this.num(v as number, true);
      else if (ty === 'string') this.str(v as string);
      else if (ty === 'boolean') this.ascii(v ? TRUE : FALSE);
      else if (v === null) this.ascii(NULL);
      else return this.whole(d, start); // bigint: JSON.stringify throws, as it always did
    }
    this.byte(125);
  }

  /** Data the byte writer does not do (nested values, bigint): rewinds and uses JSON.stringify. */
  private whole(d: Record<string, unknown>, start: number): void {
    this.at = start;
    this.text(JSON.stringify(d));
  }

  /** A number as JSON writes it (`json`) or as a template literal does (they differ only off finite numbers). */
  private num(n: number, json: boolean): void {
    if (Number.isInteger(n) && n >= -MAX_DIGITS_INT && n <= MAX_DIGITS_INT) {
      this.room(24);
      if (n < 0) {
        this.buf[this.at++] = 45;
        n = -n;
      }
      if (n < 0x80000000) {
        this.at = writeSmall(this.buf, this.at, n);
        return;
      }
      // Above 2^31: the low 8 digits and the rest separately, each small enough for int math.
      const hi = Math.floor(n / 1e8);
      const at = writeSmall(this.buf, this.at, hi);
      writeDigits(this.buf, at + 8, n - hi * 1e8, 8);
      this.at = at + 8;
      return;
    }
    this.text(json && !Number.isFinite(n) ? 'null' : String(n));
  }

  /** Bytes known to be ASCII. */
  private ascii(bytes: Uint8Array): void {
    this.room(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.buf[this.at++] = bytes[i]!;
  }

  /** A JSON string: plain printable ASCII byte by byte, anything else through JSON.stringify. */
  private str(s: string): void {
    const n = s.length;
    this.room(n + 2);
    const b = this.buf;
    const start = this.at;
    let o = start;
    b[o++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 34 || c === 92) {
        this.at = start;
        return this.text(JSON.stringify(s));
      }
      b[o++] = c;
    }
    b[o++] = 34;
    this.at = o;
  }

  /** Text as is (src, kind): ASCII byte by byte, else UTF-8 encoded. */
  private raw(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    const start = this.at;
    let o = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.at = start;
        return this.text(s);
      }
      b[o++] = c;
    }
    this.at = o;
  }

  /** Any text, UTF-8 encoded (lone surrogates as U+FFFD, as hashing the string did). */
  private text(s: string): void {
    this.room(3 * s.length);
    this.at += this.buf.write(s, this.at, 'utf8');
  }
}

/** Decimal digits of an integer in [0, 2^31). */
function digitCount(n: number): number {
  if (n < 1e5) return n < 100 ? (n < 10 ? 1 : 2) : n < 1e3 ? 3 : n < 1e4 ? 4 : 5;
  return n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
}

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

/** "00".."99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Writes integer n in [0, 2^31) at `at`; returns the end. */
function writeSmall(b: Uint8Array, at: number, n: number): number {
  const end = at + digitCount(n);
  writeDigits(b, end, n, end - at);
  return end;
}

/** Writes the low `count` decimal digits of n in [0, 2^31) so that they end at `end`, zero-padded. */
function writeDigits(b: Uint8Array, end: number, n: number, count: number): void {
  let p = end;
  const stop = end - count;
  while (p - stop >= 2) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    b[--p] = PAIRS[r + 1]!;
    b[--p] = PAIRS[r]!;
    n = q;
  }
  if (p > stop) b[--p] = 48 + (n % 10);
}
