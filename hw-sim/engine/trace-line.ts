import type { Hash } from 'node:crypto';
import { writeAscii, writeNum, writeNumList, writeRaw, writeStr } from './trace-bytes.ts';

/** Bytes of the digest's input buffered before they go to the hash. */
const BUF_BYTES = 1 << 16;

/** Values TraceBus.emitFields takes. */
export const MAX_FIELDS = 10;

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

/**
 * The fixed fields of a hot record kind, declared once: records of the kind are emitted with
 * their values in this order (TraceBus.emitFields), so no data object is built unless a subscriber
 * reads the kind, and each key is written from bytes encoded here instead of enumerated per record.
 */
export class TraceShape {
  /** `"key":` per key, as JSON writes it. */
  readonly keyBytes: readonly Uint8Array[];

  constructor(readonly kind: string, readonly keys: readonly string[]) {
    if (keys.length > MAX_FIELDS) throw new Error(`trace shape ${kind}: ${keys.length} keys, at most ${MAX_FIELDS}`);
    for (const k of keys) {
      // JSON writes integer-like keys first whatever their place: a shape's order must be the data's order.
      if (/^(0|[1-9][0-9]*)$/.test(k) || /[^\x20-\x7e]|["\\]/.test(k)) throw new Error(`trace shape ${kind}: key '${k}' must be a plain name`);
    }
    this.keyBytes = keys.map((k) => new TextEncoder().encode(`${JSON.stringify(k)}:`));
  }

  /** The record's data object: the keys whose value is defined, in order (as JSON.stringify drops undefined). */
  dataOf(vals: readonly unknown[]): Record<string, unknown> {
    const d: Record<string, unknown> = {};
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (vals[i] !== undefined) d[keys[i]!] = vals[i];
    return d;
  }
}

/**
 * The digest's input written straight as UTF-8 bytes: exactly serialiseRecord's line, without a
 * string per record. Flat data of numbers, booleans, null, lists of numbers and printable-ASCII
 * strings is written byte by byte; any other data (nested, needing escapes, non-ASCII) goes
 * through JSON.stringify for the whole object, so the bytes never differ. The writers take and
 * return the write position (a local, not a field); room is reserved once per header and per field.
 */
export class LineHasher {
  /** Grows (never flushes) within a line, so a line can always be rewound to a point in it. */
  private buf = Buffer.allocUnsafe(BUF_BYTES);
  private at = 0;
  /** The last line's t and where its digits sit in `buf` (lastTLen 0: not in the buffer). */
  private lastT = -1;
  private lastTAt = 0;
  private lastTLen = 0;

  constructor(private readonly hash: Hash) {}

  /** Feeds the canonical line of one record to the hash. */
  line(t: number, seq: number, src: string, kind: string, data: unknown): void {
    const start = this.head(t, seq, src, kind);
    if (data !== undefined) {
      try {
        if (data === null || typeof data !== 'object' || typeof (data as { toJSON?: unknown }).toJSON === 'function' || Array.isArray(data)) this.text(JSON.stringify(data));
        else this.object(data as Record<string, unknown>);
      } catch (e) {
        this.abort(start);
        throw e;
      }
    }
    this.end();
  }

  /** The line of a shaped record: `vals[i]` is the value of `shape.keys[i]`, undefined left out. */
  fields(t: number, seq: number, src: string, shape: TraceShape, vals: readonly unknown[]): void {
    const start = this.head(t, seq, src, shape.kind);
    try {
      if (!this.shaped(shape.keyBytes, vals)) this.text(JSON.stringify(shape.dataOf(vals)));
    } catch (e) {
      this.abort(start);
      throw e;
    }
    this.end();
  }

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.at === 0) return;
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
    this.lastTLen = 0;
  }

  /** Writes `t seq src kind `; returns where the line starts. */
  private head(t: number, seq: number, src: string, kind: string): number {
    if (this.at > BUF_BYTES - 1024) this.flush();
    // Two numbers (≤ 24 bytes each), src and kind (≤ 3 bytes a UTF-16 unit), 4 spaces.
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
    return start;
  }

  private end(): void {
    this.room(1);
    this.buf[this.at++] = 10;
  }

  /** Unserialisable data (a bigint): no line, as when the line was built as a string. */
  private abort(start: number): void {
    this.at = start;
    this.lastTLen = 0;
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  /** Data of any plain object: its own keys as JSON.stringify takes them. */
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
      o = this.value(o, v);
      if (o < 0) return this.whole(d, start);
      b = this.buf;
    }
    this.at = o;
    this.room(2);
    if (first) this.buf[this.at++] = 123;
    this.buf[this.at++] = 125;
  }

  /** A shaped record's data; false (nothing kept) when a value needs JSON.stringify. */
  private shaped(keyBytes: readonly Uint8Array[], vals: readonly unknown[]): boolean {
    const start = this.at;
    let b = this.buf;
    let o = start;
    let first = true;
    for (let i = 0; i < keyBytes.length; i++) {
      const v = vals[i];
      if (v === undefined) continue;
      const kb = keyBytes[i]!;
      const need = kb.length + 28 + (typeof v === 'string' ? v.length : 0);
      if (o + need > b.length) {
        this.at = o;
        this.room(need);
        b = this.buf;
      }
      b[o++] = first ? 123 : 44;
      first = false;
      for (let j = 0; j < kb.length; j++) b[o + j] = kb[j]!;
      o = this.value(o + kb.length, v);
      if (o < 0) {
        this.at = start;
        return false;
      }
      b = this.buf;
    }
    this.at = o;
    this.room(2);
    if (first) this.buf[this.at++] = 123;
    this.buf[this.at++] = 125;
    return true;
  }

  /**
   * One value at `o` (room for a number, a literal or a string reserved; a list reserves its own);
   * returns the end, or -1 when the value needs JSON.stringify (nested, escapes, bigint).
   */
  private value(o: number, v: unknown): number {
    const b = this.buf;
    switch (typeof v) {
      case 'number': return writeNum(b, o, v, true);
      case 'string': return writeStr(b, o, v);
      case 'boolean': return writeAscii(b, o, v ? TRUE : FALSE);
      case 'object':
        if (v === null) return writeAscii(b, o, NULL);
        if (!Array.isArray(v)) return -1;
        // A list of numbers (request ids a packet carries): `[n,n]` as JSON writes it.
        this.at = o;
        this.room(2 + 25 * v.length);
        return writeNumList(this.buf, o, v);
      default: return -1;
    }
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
