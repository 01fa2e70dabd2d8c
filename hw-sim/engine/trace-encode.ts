import type { TraceShape } from './trace-shape.ts';
import type { TraceSource } from './trace-source.ts';
import { HEAD, T_SAME, T_DELTA, S_NEXT, V_NONE, V_NULL, V_TRUE, V_FALSE, V_STR, V_ARR, numAt, refAt } from './trace-bytes.ts';
import { BUF_BYTES, ValueWriter, VIA_JSON, type ByteSink } from './trace-values.ts';

/** Encoders made so far (RecordEncoder.no). */
let encoders = 0;
/** String values per shape whose numbers a shape keeps (RecordEncoder.fields). */
const STRINGS_KEPT = 8;
/** A shaped record written in one pass (TraceBus.emitFields) starts with this much room in the buffer ... */
export const FAST_ROOM = 1024;
/**
 * ... and leaves to `fields` one whose list could pass this much before the buffer's end: room for
 * every other value (9 bytes at most) and the key list's number.
 */
export const FAST_TAIL = 128;

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
export class RecordEncoder<H extends ByteSink = ByteSink> extends ValueWriter<H> {
  /** This encoder's number, unique in the process: shapes and sources keep it, not the encoder (a number compares in one instruction). */
  readonly no = ++encoders;
  protected lastT = 0;
  protected lastSeq = -1;
  /** Where the record being written starts, and the strings numbered before it (to undo it). */
  private recordAt = 0;
  private recordStrings = 0;

  /** One record of any data. */
  record(t: number, seq: number, src: string, kind: string, data: unknown): void {
    this.begin(t, seq, src, kind);
    try {
      if (data === undefined) this.byte(V_NONE);
      else this.value(data, 0, kind);
    } catch (e) {
      this.retry(t, seq, src, kind, data, e);
    }
    this.lastT = t;
    this.lastSeq = seq;
  }

  /** A value of a shaped record other than a number at `o`; returns the end, or -1 if it cannot be written there. */
  protected putOther(v: unknown, o: number, limit: number, shape: TraceShape): number {
    const buf = this.buf;
    const view = this.view;
    if (typeof v === 'string') {
      // A kind's string values are few (an op, a label, a direction): kept with their numbers.
      const strs = shape.strs;
      let k = 0;
      while (k < strs.length && strs[k] !== v) k++;
      let id: number | undefined;
      if (k < strs.length) id = shape.strIds[k]!;
      else {
        id = this.ids.get(v);
        if (id === undefined) return -1;
        const slot = shape.nextStr++ % STRINGS_KEPT;
        strs[slot] = v;
        shape.strIds[slot] = id;
      }
      buf[o] = V_STR;
      return refAt(buf, view, o + 1, id);
    }
    if (v === true) buf[o] = V_TRUE;
    else if (v === false) buf[o] = V_FALSE;
    else if (v === null) buf[o] = V_NULL;
    else if (Array.isArray(v)) {
      const list = v as readonly unknown[];
      const len = list.length;
      if (o + 5 + 9 * len > limit || (list as { toJSON?: unknown }).toJSON !== undefined) return -1;
      buf[o] = V_ARR;
      view.setUint32(o + 1, len, true);
      o += 5;
      for (let k = 0; k < len; k++) {
        const x = list[k];
        if (typeof x !== 'number') return -1;
        o = numAt(buf, view, o, x);
      }
      return o;
    } else return -1;
    return o + 1;
  }

  /**
   * A shaped record the one-pass writer (TraceShape.emit) did not write: `vals[i]` is the value of `shape.keys[i]`. Written by
   * `record` from the data object; the numbers it gave the kind and the key list are kept on the
   * shape, the source's on the source, for the one-pass writer.
   */
  fields(t: number, seq: number, src: TraceSource, shape: TraceShape, vals: readonly unknown[]): void {
    if (shape.owner !== this.no) {
      // Numbers are the encoder's own: a shape another encoder numbered starts over.
      shape.owner = this.no;
      shape.kindId = -1;
      shape.listIds = new Int32Array(1 << shape.keys.length).fill(-1);
      shape.lastMask = -1;
      shape.strs.length = 0;
      shape.strIds.length = 0;
      shape.nextStr = 0;
    }
    this.record(t, seq, src.name, shape.kind, shape.dataOf(vals));
    // Numbers given in a record that completed are kept for good.
    if (shape.kindId < 0) shape.kindId = this.ids.get(shape.kind) ?? -1;
    const mask = shape.maskOf(vals);
    if (shape.listIds[mask]! < 0) shape.listIds[mask] = this.ids.get(shape.keyList(mask)) ?? -1;
    const id = this.ids.get(src.name);
    if (id !== undefined) {
      src.owner = this.no;
      src.id = id;
    }
  }

  /** Writes the header, src and kind. */
  private begin(t: number, seq: number, src: string, kind: string): void {
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
    this.str(src);
    this.str(kind);
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
}
