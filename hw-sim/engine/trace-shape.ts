import { shapeWriter, type ShapeWriter } from './trace-writer.ts';

/** Values TraceBus.emitFields takes. */
export const MAX_FIELDS = 10;

/**
 * The fixed fields of a hot record kind, declared once per module: records of the kind are
 * emitted with their values in this order (TraceBus.emitFields), so no data object is built unless
 * a subscriber reads the kind, and the digest takes the key list as one string, not key by key.
 */
export class TraceShape {
  /** Per mask of defined values: the key list of their keys (RecordEncoder), made on first use. */
  private readonly lists: string[] = [];
  // The state below is kept in the shape's own fields, not objects it points to: a record reads
  // it between unrelated simulation work, so the fewer cache lines it touches the better.
  /** The subscribers of this kind on the bus that last emitted it, as of that bus's subscription version (unique across buses). */
  readersVersion = -1;
  /** Typed loosely: the subscriber type lives in trace.ts, which imports this file. */
  readers: readonly ((r: never) => void)[] = [];
  /** Per reader: the test of its field (TraceWhere; null: none) and the field's place in `keys` (-1: not a key). */
  readerTests: readonly (((v: unknown) => boolean) | null)[] = [];
  readerFields: readonly number[] = [];
  /** The number (RecordEncoder.no) of the encoder whose numbers the fields below hold (-1: none), and the kind's number. */
  owner = -1;
  kindId = -1;
  /** Per mask: the number of its key list (-1: none yet); the last mask written and its number. */
  listIds: Int32Array = new Int32Array(0);
  lastMask = -1;
  lastListId = -1;
  /** The last string values with their numbers (an op, a label, a direction). */
  readonly strs: string[] = [];
  readonly strIds: number[] = [];
  nextStr = 0;
  /**
   * Writes a record of this shape from `src` if the bus is enabled: the same record as
   * `bus.emit(src.name, kind, {k0: a, k1: b, ...})` (undefined values left out), with no data
   * object built unless a subscriber reads the kind. Called as `SHAPE.emit(bus, src, a, b, ...)`:
   * each call site calls its shape's own writer (trace-writer.ts).
   */
  readonly emit: ShapeWriter;

  constructor(readonly kind: string, readonly keys: readonly string[]) {
    if (keys.length > MAX_FIELDS) throw new Error(`trace shape ${kind}: ${keys.length} keys, at most ${MAX_FIELDS}`);
    for (const k of keys) {
      // JSON orders integer-like keys first whatever their place: a shape's order must be the data's order.
      if (/^(0|[1-9][0-9]*)$/.test(k)) throw new Error(`trace shape ${kind}: key '${k}' is an array index`);
    }
    this.emit = shapeWriter(this, keys.length);
  }

  /** Which values are defined: bit i for `vals[i]`. */
  maskOf(vals: readonly unknown[]): number {
    let mask = 0;
    for (let i = 0; i < this.keys.length; i++) if (vals[i] !== undefined) mask |= 1 << i;
    return mask;
  }

  /** The key list of the keys in `mask` (RecordEncoder). */
  keyList(mask: number): string {
    return this.lists[mask] ?? (this.lists[mask] = this.keys.filter((_, i) => (mask & (1 << i)) !== 0).map(keyListPart).join(''));
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
 * A key's part of an object's key list: the key and a NUL; a key holding a NUL or starting with a
 * quote as its JSON string (which holds no NUL), so the list names its keys unambiguously.
 */
export function keyListPart(k: string): string {
  return k.charCodeAt(0) === 34 || k.includes('\0') ? `${JSON.stringify(k)}\0` : `${k}\0`;
}
