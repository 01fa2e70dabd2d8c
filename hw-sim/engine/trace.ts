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
 * Request ids filed on one flow by cookie (generation << 32 | tag), kept in arrays by tag: a tag
 * carries one request at a time, so filing and taking allocate nothing (a Map churned per request).
 */
export class FiledIds {
  private readonly cookies: number[] = [];
  private readonly ids: number[] = [];

  file(cookie: number, id: number): void {
    const tag = cookie % 0x1_0000_0000;
    this.cookies[tag] = cookie;
    this.ids[tag] = id;
  }

  /** The id filed under `cookie`, forgotten as it is taken; undefined if none is. */
  take(cookie: number): number | undefined {
    const tag = cookie % 0x1_0000_0000;
    if (this.cookies[tag] !== cookie) return undefined;
    this.cookies[tag] = -1;
    return this.ids[tag];
  }
}

/**
 * The trace bus: every record gets the next sequence number, goes to the subscribers and into a
 * running SHA-256 digest. Disabled, it costs one branch per emit and digests nothing.
 */
export class TraceBus {
  enabled = true;
  /**
   * Trace context across hosts, never seen by the simulation: per flow (`addr:port` of the sender
   * as the receiver sees its peer), cookie → the sender's block request id. Each end looks its
   * flow's map up once per connection, so a request files and finds its id by number.
   */
  private readonly flows = new Map<string, FiledIds>();
  private seq = 0;
  private readonly subscribers: TraceSubscriber[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly lines = new LineHasher(this.hash);

  constructor(private readonly now: () => Ns) {}

  /** Records emitted so far. */
  get count(): number {
    return this.seq;
  }

  /** The request ids filed on one flow (see `flows`), created on first use. */
  requestIdsOf(flow: string): FiledIds {
    let m = this.flows.get(flow);
    if (m === undefined) this.flows.set(flow, (m = new FiledIds()));
    return m;
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
    const t = this.now();
    const seq = this.seq++;
    this.lines.line(t, seq, src, kind, data);
    // No record object unless someone reads it: the digest alone needs none.
    const subs = this.subscribers;
    if (subs.length === 0) return;
    const r: TraceRecord = { t, seq, src, kind, data };
    for (let i = 0; i < subs.length; i++) subs[i]!(r);
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
 * byte by byte; any other data (nested, needing escapes, non-ASCII) goes through JSON.stringify
 * for the whole object, so the bytes never differ. The writers take and return the write position
 * (a local, not a field), and room is reserved once per header and once per field.
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
    // The header: two numbers (≤ 24 bytes each), src and kind (≤ 3 bytes a UTF-16 unit), 4 spaces.
    this.room(56 + 3 * (src.length + kind.length));
    const b = this.buf;
    const start = this.at;
    let o = start;
    // Records of one event share t; the previous line's t bytes are reused.
    if (t === this.lastT && this.lastTLen > 0) {
      const n = this.lastTLen;
      const from = this.lastTAt;
      for (let i = 0; i < n; i++) b[o + i] = b[from + i]!;
      this.lastTAt = o;
      o += n;
    } else {
      this.lastTAt = o;
      o = writeNum(b, o, t, false);
      this.lastT = t;
      this.lastTLen = o - start;
    }
    b[o++] = 32;
    o = writeNum(b, o, seq, false);
    b[o++] = 32;
    o = writeRaw(b, o, src);
    b[o++] = 32;
    o = writeRaw(b, o, kind);
    b[o++] = 32;
    this.at = o;
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
    this.room(1);
    this.buf[this.at++] = 10;
  }

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.at === 0) return;
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
    this.lastTLen = 0;
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
    let b = this.buf;
    let o = start;
    let first = true;
    for (const k in d) {
      if (!Object.prototype.hasOwnProperty.call(d, k)) continue;
      const v = d[k];
      const ty = typeof v;
      if (v === undefined || ty === 'function' || ty === 'symbol') continue;
      // `{` or `,`, the quoted key, `:`, and a number (≤ 24), a literal, or a quoted string.
      const need = k.length + 28 + (ty === 'string' ? (v as string).length : 0);
      if (o + need > b.length) {
        this.at = o;
        this.room(need);
        b = this.buf;
      }
      b[o++] = first ? 123 : 44;
      first = false;
      o = writeStr(b, o, k);
      if (o < 0) return this.whole(d, start);
      b[o++] = 58;
      if (ty === 'number') o = writeNum(b, o, v as number, true);
      else if (ty === 'string') {
        o = writeStr(b, o, v as string);
        if (o < 0) return this.whole(d, start);
      } else if (ty === 'boolean') o = writeAscii(b, o, v ? TRUE : FALSE);
      else if (v === null) o = writeAscii(b, o, NULL);
      else if (Array.isArray(v)) {
        // A list of numbers (request ids a packet carries): `[n,n]` as JSON writes it; anything else whole.
        const a = v as unknown[];
        const room = 2 + 25 * a.length;
        if (o + room > b.length) {
          this.at = o;
          this.room(room);
          b = this.buf;
        }
        b[o++] = 91;
        for (let i = 0; i < a.length; i++) {
          const x = a[i];
          if (typeof x !== 'number') return this.whole(d, start);
          if (i > 0) b[o++] = 44;
          o = writeNum(b, o, x, true);
        }
        b[o++] = 93;
      } else return this.whole(d, start); // nested or bigint: JSON.stringify writes it or throws, as it always did
    }
    this.at = o;
    this.room(2);
    if (first) this.buf[this.at++] = 123;
    this.buf[this.at++] = 125;
  }

  /** Data the byte writer does not do (nested, escapes, bigint): rewinds and uses JSON.stringify. */
  private whole(d: Record<string, unknown>, start: number): void {
    this.at = start;
    this.text(JSON.stringify(d));
  }

  /** Any text, UTF-8 encoded (lone surrogates as U+FFFD, as hashing the string did). */
  private text(s: string): void {
    this.room(3 * s.length);
    this.at += this.buf.write(s, this.at, 'utf8');
  }
}

/**
 * A number at `o` (room for 24 bytes reserved) as JSON writes it (`json`) or as a template literal
 * does (they differ only off finite numbers); returns the end.
 */
function writeNum(b: Buffer, o: number, n: number, json: boolean): number {
  // A uint32 (and -0, written "0" by both): most numbers in records (times, sizes, TCP sequences).
  if (n >>> 0 === n) return writeU32(b, o, n);
  if (Number.isInteger(n) && n >= -MAX_DIGITS_INT && n <= MAX_DIGITS_INT) {
    if (n < 0) {
      b[o++] = 45;
      n = -n;
      if (n <= 0xffffffff) return writeU32(b, o, n);
    }
    // Above 2^32: the low 8 digits and the rest separately, each small enough for int math.
    const hi = Math.floor(n / 1e8);
    const at = writeSmall(b, o, hi);
    writeDigits(b, at + 8, n - hi * 1e8, 8);
    return at + 8;
  }
  // Fractions, huge and non-finite numbers: as the runtime writes them (ASCII).
  const s = json && !Number.isFinite(n) ? 'null' : String(n);
  for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
  return o;
}

/** Writes integer n in [0, 2^32) at `o`, two digits a step; returns the end. */
function writeU32(b: Buffer, o: number, n: number): number {
  const end = o + (n < 0x80000000 ? digitCount(n) : 10);
  let p = end;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = 2 * (n - q * 100);
    b[--p] = PAIRS[r + 1]!;
    b[--p] = PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    b[--p] = PAIRS[2 * n + 1]!;
    b[--p] = PAIRS[2 * n]!;
  } else b[--p] = 48 + n;
  return end;
}

/** A JSON string of printable ASCII at `o` (room reserved); -1 if it needs escapes or is not ASCII. */
function writeStr(b: Buffer, o: number, s: string): number {
  const n = s.length;
  b[o++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) return -1;
    b[o++] = c;
  }
  b[o++] = 34;
  return o;
}

/** Text as is (src, kind) at `o` (room for 3 bytes a unit reserved): ASCII byte by byte, else UTF-8 encoded. */
function writeRaw(b: Buffer, o: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return o - i + b.write(s, o - i, 'utf8');
    b[o++] = c;
  }
  return o;
}

/** Bytes known to be ASCII (a JSON literal) at `o` (room reserved); returns the end. */
function writeAscii(b: Buffer, o: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) b[o + i] = bytes[i]!;
  return o + bytes.length;
}

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

/** Decimal digits of an integer in [0, 2^31). */
function digitCount(n: number): number {
  if (n < 1e5) return n < 100 ? (n < 10 ? 1 : 2) : n < 1e3 ? 3 : n < 1e4 ? 4 : 5;
  return n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
}

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
