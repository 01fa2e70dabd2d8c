import { keyListPart } from './trace-shape.ts';
import { V_NULL, V_TRUE, V_FALSE, V_STR, V_ARR, V_OBJ, S_REF8, S_REF32, S_NEW, S_RAW, numAt } from './trace-bytes.ts';

/** Bytes of the digest's input buffered before they go to the hash (small: it stays in cache between records). */
export const BUF_BYTES = 1 << 13;
/** Strings up to this many UTF-16 units are numbered on first use, while the table has room. */
const INTERN_MAX_LEN = 128;
const INTERN_MAX_COUNT = 1 << 16;
/** Nesting beyond this is left to JSON.stringify (which names a cycle). */
const MAX_DEPTH = 64;

/** Thrown inside a record whose data JSON does not take as it is (toJSON, boxed values): it is taken through JSON. */
export const VIA_JSON = new Error('trace data through JSON');

/**
 * The digest's input buffer and the writer of any JSON value into it (RecordEncoder's format):
 * numbers, strings by number once seen, lists, objects as their values then their key list.
 */
/** Where the encoder's bytes go: a SHA-256 (node:crypto's Hash, or TraceHash). */
export interface ByteSink {
  update(b: Uint8Array): unknown;
}

export class ValueWriter<H extends ByteSink = ByteSink> {
  /** Public for the shape writers (trace-writer.ts), which write values into it. */
  buf = Buffer.allocUnsafe(BUF_BYTES);
  /** Over `buf`, public for the shape writers too (a DataView store writes 2 or 4 bytes at once). */
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  protected at = 0;
  protected readonly ids = new Map<string, number>();
  protected readonly strings: string[] = [];
  /** Per kind: the keys of its last record's data and their key list (most records of a kind carry the same keys). */
  private readonly lastKeys = new Map<string, { keys: string[]; list: string }>();

  constructor(protected readonly hash: H) {}

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.at === 0) return;
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  protected byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** A value; `kind` names the record whose data it is (its key list is looked up by kind). */
  protected value(v: unknown, depth: number, kind?: string): void {
    switch (typeof v) {
      case 'number': return this.num(v);
      case 'string':
        this.byte(V_STR);
        return this.str(v);
      case 'boolean': return this.byte(v ? V_TRUE : V_FALSE);
      case 'bigint': throw new TypeError('Do not know how to serialize a BigInt');
      case 'object': {
        if (v === null) return this.byte(V_NULL);
        if (depth > MAX_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === 'function' || v instanceof Number || v instanceof String || v instanceof Boolean) throw VIA_JSON;
        if (Array.isArray(v)) return this.list(v, depth);
        return this.object(v as Record<string, unknown>, depth, kind);
      }
      default: return this.byte(V_NULL); // a function or symbol where JSON writes null (a list, the data itself)
    }
  }

  private num(n: number): void {
    this.room(9);
    this.at = numAt(this.buf, this.view, this.at, n);
  }

  private list(a: readonly unknown[], depth: number): void {
    this.room(5);
    this.buf[this.at] = V_ARR;
    this.view.setUint32(this.at + 1, a.length, true);
    this.at += 5;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x === 'number') this.num(x);
      else if (x === undefined) this.byte(V_NULL);
      else this.value(x, depth + 1);
    }
  }

  /** The own keys JSON writes (as Object.keys, without undefined, function and symbol values). */
  private object(d: Record<string, unknown>, depth: number, kind: string | undefined): void {
    this.room(5);
    const countAt = this.at + 1;
    this.buf[this.at] = V_OBJ;
    this.at += 5;
    const last = kind === undefined ? undefined : this.lastKeys.get(kind);
    // The keys are listed only once they differ from the kind's last ones (no list per record).
    let keys: string[] | null = last === undefined ? [] : null;
    let n = 0;
    for (const k in d) {
      if (!Object.prototype.hasOwnProperty.call(d, k)) continue;
      const v = d[k];
      const ty = typeof v;
      if (ty === 'undefined' || ty === 'function' || ty === 'symbol') continue;
      if (keys === null && last!.keys[n] !== k) keys = last!.keys.slice(0, n);
      keys?.push(k);
      n++;
      if (ty === 'number') this.num(v as number);
      else this.value(v, depth + 1);
    }
    this.view.setUint32(countAt, n, true);
    if (keys === null && last!.keys.length === n) return this.str(last!.list);
    keys ??= last!.keys.slice(0, n);
    const list = keys.map(keyListPart).join('');
    if (kind !== undefined) this.lastKeys.set(kind, { keys, list });
    this.str(list);
  }

  /** A string: its number if it has one, else its UTF-8 bytes (numbered if short and the table has room). */
  protected str(s: string): void {
    const id = this.ids.get(s);
    if (id !== undefined) return this.ref(id);
    let tag = S_RAW;
    if (s.length <= INTERN_MAX_LEN && this.strings.length < INTERN_MAX_COUNT) {
      this.ids.set(s, this.strings.length);
      this.strings.push(s);
      tag = S_NEW;
    }
    this.room(5 + 3 * s.length);
    const n = this.buf.write(s, this.at + 5, 'utf8');
    this.buf[this.at] = tag;
    this.view.setUint32(this.at + 1, n, true);
    this.at += 5 + n;
  }

  /** A string by its number. */
  protected ref(id: number): void {
    this.room(5);
    if (id < 0x100) {
      this.buf[this.at] = S_REF8;
      this.buf[this.at + 1] = id;
      this.at += 2;
    } else {
      this.buf[this.at] = S_REF32;
      this.view.setUint32(this.at + 1, id, true);
      this.at += 5;
    }
  }

  /** Makes room for `n` more bytes (the buffer grows within a record, so a record can be undone). */
  protected room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }
}
