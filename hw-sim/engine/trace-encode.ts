import type { Hash } from 'node:crypto';
import { keyListPart, type ShapeNumbers, type TraceShape } from './trace-shape.ts';
import { HEAD, T_SAME, T_DELTA, S_NEXT, V_NONE, V_NULL, V_TRUE, V_FALSE, V_STR, V_ARR, V_OBJ, S_REF8, S_REF32, S_NEW, S_RAW, numAt, refAt } from './trace-bytes.ts';

/** Bytes of the digest's input buffered before they go to the hash (small: it stays in cache between records). */
const BUF_BYTES = 1 << 13;
/** Strings up to this many UTF-16 units are numbered on first use, while the table has room. */
const INTERN_MAX_LEN = 128;
const INTERN_MAX_COUNT = 1 << 16;
/** Sources and string values per shape whose numbers a shape keeps (RecordEncoder.fields). */
const SOURCES_KEPT = 4;
const STRINGS_KEPT = 8;
/** A shaped record written in one pass (fastFields) starts with this much room in the buffer ... */
const FAST_ROOM = 1024;
/** ... and stops (for `record`) when a value could pass this much before the buffer's end. */
const FAST_TAIL = 32;
/** Nesting beyond this is left to JSON.stringify (which names a cycle). */
const MAX_DEPTH = 64;

/** Thrown inside a record whose data JSON does not take as it is (toJSON, boxed values): it is taken through JSON. */
const VIA_JSON = new Error('trace data through JSON');

/**
 * The digest's input: each record in a compact binary form of its JSON value, so the digest can
 * be recomputed from a JSONL trace's records (`digestOfRecords`) and is the same on any machine.
 * A record is a header byte (HEAD | T_* | S_*), t (f64) unless T_SAME (or u32 with T_DELTA), seq
 * (f64) unless S_NEXT, then src and kind as strings, then data as a value (V_NONE when absent).
 * Values follow the JSON data model: undefined, functions and symbols are left out of objects and
 * null in lists, non-finite numbers are null, -0 is 0, integers up to 2^32 take 1, 2 or 4 bytes,
 * other numbers 8 (little endian); an object is its key list then its values; data with toJSON or
 * boxed values is taken as JSON.parse(JSON.stringify(data)) sees it. Strings are numbered by
 * first use (S_NEW), later uses name the number (S_REF8/S_REF32): src, kind and key lists cost two
 * bytes a record instead of their text. A record that throws (a bigint) leaves nothing behind.
 */
export class RecordEncoder {
  private buf = Buffer.allocUnsafe(BUF_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private at = 0;
  private lastT = 0;
  private lastSeq = -1;
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  /** Where the record being written starts, and the strings numbered before it (to undo it). */
  private recordAt = 0;
  private recordStrings = 0;
  /** Per kind: the keys of its last record's data and their key list (most records of a kind carry the same keys). */
  private readonly lastKeys = new Map<string, { keys: string[]; list: string }>();

  constructor(private readonly hash: Hash) {}

  /** One record of any data. */
  record(t: number, seq: number, src: string, kind: string, data: unknown): void {
    this.begin(t, seq, src, kind);
    try {
      if (data === undefined) this.byte(V_NONE);
      else this.value(data, 0, kind);
    } catch (e) {
      this.retry(t, seq, src, kind, data, e);
    }
    this.end(t, seq);
  }

  /**
   * A shaped record: `vals[i]` is the value of `shape.keys[i]`, undefined left out. The bytes are
   * `record`'s for the shape's data object; once the shape's kind, source, key list and string
   * values have numbers they are written here in one pass (no object, no string lookup by text
   * for src, kind or keys). Anything else (a first use, a new string, a nested or odd value) is
   * written by `record` from the data object, and the numbers it gave are kept for next time.
   */
  fields(t: number, seq: number, src: string, shape: TraceShape, vals: readonly unknown[]): void {
    let known = shape.numbered;
    if (known === null || known.owner !== this) {
      known = shape.numbered = { owner: this, kind: -1, lists: new Int32Array(1 << shape.keys.length).fill(-1), srcs: [], srcIds: [], nextSrc: 0, strs: [], strIds: [], nextStr: 0 };
    }
    // A kind comes from a few sources (a NIC per host): the last ones are kept with their numbers.
    let srcId = -1;
    const srcs = known.srcs;
    for (let i = 0; i < srcs.length; i++) {
      if (srcs[i] === src) {
        srcId = known.srcIds[i]!;
        break;
      }
    }
    if (srcId >= 0 && known.kind >= 0 && this.fastFields(t, seq, srcId, known, shape.keys.length, vals)) return;
    this.record(t, seq, src, shape.kind, shape.dataOf(vals));
    // Numbers given in a record that completed are kept for good.
    if (known.kind < 0) known.kind = this.ids.get(shape.kind) ?? -1;
    const mask = shape.maskOf(vals);
    if (known.lists[mask]! < 0) known.lists[mask] = this.ids.get(shape.keyList(mask)) ?? -1;
    if (srcId < 0) {
      const id = this.ids.get(src);
      if (id !== undefined) {
        const slot = known.nextSrc++ % SOURCES_KEPT;
        srcs[slot] = src;
        known.srcIds[slot] = id;
      }
    }
  }

  /**
   * `fields` when every string it needs has a number and every value is a number, a numbered
   * string, a boolean, null or a short list of numbers; false (nothing written) otherwise.
   */
  private fastFields(t: number, seq: number, srcId: number, known: ShapeNumbers, n: number, vals: readonly unknown[]): boolean {
    if (this.at > BUF_BYTES - FAST_ROOM) this.flush();
    const b = this.buf;
    const view = this.view;
    const limit = b.length - FAST_TAIL;
    let o = this.at;
    const d = t - this.lastT;
    const flags = (d === 0 ? T_SAME : d >>> 0 === d ? T_DELTA : 0) | (seq === this.lastSeq + 1 ? S_NEXT : 0);
    b[o++] = HEAD | flags;
    if (flags & T_DELTA) {
      view.setUint32(o, d, true);
      o += 4;
    } else if (!(flags & T_SAME)) {
      view.setFloat64(o, t, true);
      o += 8;
    }
    if (!(flags & S_NEXT)) {
      view.setFloat64(o, seq, true);
      o += 8;
    }
    o = refAt(b, view, o, srcId);
    o = refAt(b, view, o, known.kind);
    b[o] = V_OBJ;
    const countAt = o + 1;
    o += 5;
    let mask = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      if (v === undefined) continue;
      mask |= 1 << i;
      kept++;
      if (o > limit) return false;
      if (typeof v === 'number') o = numAt(b, view, o, v);
      else if (typeof v === 'string') {
        // A kind's string values are few (an op, a label, a direction): kept with their numbers.
        const strs = known.strs;
        let k = 0;
        while (k < strs.length && strs[k] !== v) k++;
        let id: number | undefined;
        if (k < strs.length) id = known.strIds[k]!;
        else {
          id = this.ids.get(v);
          if (id === undefined) return false;
          const slot = known.nextStr++ % STRINGS_KEPT;
          strs[slot] = v;
          known.strIds[slot] = id;
        }
        b[o++] = V_STR;
        o = refAt(b, view, o, id);
      } else if (v === true) b[o++] = V_TRUE;
      else if (v === false) b[o++] = V_FALSE;
      else if (v === null) b[o++] = V_NULL;
      else if (Array.isArray(v)) {
        const a = v as readonly unknown[];
        const len = a.length;
        if (o + 5 + 9 * len > limit || (a as { toJSON?: unknown }).toJSON !== undefined) return false;
        b[o] = V_ARR;
        view.setUint32(o + 1, len, true);
        o += 5;
        for (let j = 0; j < len; j++) {
          const x = a[j];
          if (typeof x !== 'number') return false;
          o = numAt(b, view, o, x);
        }
      } else return false;
    }
    const list = known.lists[mask]!;
    if (list < 0) return false;
    view.setUint32(countAt, kept, true);
    this.at = refAt(b, view, o, list);
    this.lastT = t;
    this.lastSeq = seq;
    return true;
  }

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.at === 0) return;
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  /** Writes the header, src and kind (or the number of a kind numbered before). */
  private begin(t: number, seq: number, src: string | number, kind: string | number): void {
    if (this.at > BUF_BYTES - 1024) this.flush();
    this.room(17);
    const d = t - this.lastT;
    const flags = (d === 0 ? T_SAME : d >>> 0 === d ? T_DELTA : 0) | (seq === this.lastSeq + 1 ? S_NEXT : 0);
    this.recordAt = this.at;
    this.recordStrings = this.strings.length;
    let o = this.at;
    this.buf[o++] = HEAD | flags;
    if (flags & T_DELTA) {
      this.view.setUint32(o, d, true);
      o += 4;
    } else if (!(flags & T_SAME)) {
      this.view.setFloat64(o, t, true);
      o += 8;
    }
    if (!(flags & S_NEXT)) {
      this.view.setFloat64(o, seq, true);
      o += 8;
    }
    this.at = o;
    if (typeof src === 'number') this.ref(src);
    else this.str(src);
    if (typeof kind === 'number') this.ref(kind);
    else this.str(kind);
  }

  private end(t: number, seq: number): void {
    this.lastT = t;
    this.lastSeq = seq;
  }

  /** After a throw: data JSON takes otherwise is written as JSON sees it; anything else throws with nothing written. */
  private retry(t: number, seq: number, src: string, kind: string, data: unknown, e: unknown): void {
    this.at = this.recordAt;
    while (this.strings.length > this.recordStrings) this.ids.delete(this.strings.pop()!);
    if (e !== VIA_JSON) throw e;
    const json = JSON.stringify(data); // a bigint or a cycle throws here, as it would have in a JSONL trace
    this.begin(t, seq, src, kind);
    if (json === undefined) this.byte(V_NONE);
    else this.value(JSON.parse(json) as unknown, 0);
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** A value; `kind` names the record whose data it is (its key list is looked up by kind). */
  private value(v: unknown, depth: number, kind?: string): void {
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
  private str(s: string): void {
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
  private ref(id: number): void {
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
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }
}
