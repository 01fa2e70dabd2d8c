/**
 * The byte vocabulary of the trace digest's input (RecordEncoder): tags of record headers, values
 * and strings, and the writers of a number and of a string's number at an offset.
 */

// Record header: HEAD | T_* | S_*, then t and seq as the flags say.
export const HEAD = 0x80;
export const T_SAME = 0x01; // t as the previous record's (nothing follows)
export const T_DELTA = 0x02; // u32: t minus the previous record's
export const S_NEXT = 0x04; // seq is the previous record's + 1 (nothing follows)
// Values.
export const V_NONE = 0x00; // no data (the record's data only)
export const V_NULL = 0x01;
export const V_TRUE = 0x02;
export const V_FALSE = 0x03;
export const V_U8 = 0x04;
export const V_U16 = 0x05;
export const V_U32 = 0x06;
export const V_F64 = 0x07;
export const V_STR = 0x08; // a string (below)
export const V_ARR = 0x09; // u32 count, then each value
export const V_OBJ = 0x0a; // u32 count of the keys kept, their values, then the key list as a string (keyListPart)
// Strings.
export const S_REF8 = 0x10; // u8: the number of a string seen before
export const S_REF32 = 0x11; // u32: likewise
export const S_NEW = 0x12; // u32 byte length, UTF-8 bytes; the string gets the next number
export const S_RAW = 0x13; // u32 byte length, UTF-8 bytes; not numbered (long, or the table is full)

// The writers below spell their tags as literals (named in comments): a module-level constant is
// loaded and checked at each use in optimised code (bundled, it is a var), a literal is an immediate.

/** A number at `o` of `b` (`view` over it), room for 9 bytes reserved; returns the end. */
export function numAt(b: Buffer, view: DataView, o: number, n: number): number {
  if (n >>> 0 === n) {
    // A uint32 (and -0, which JSON writes as 0).
    if (n < 0x100) {
      b[o] = 0x04; // V_U8
      b[o + 1] = n;
      return o + 2;
    }
    if (n < 0x10000) {
      b[o] = 0x05; // V_U16
      view.setUint16(o + 1, n, true);
      return o + 3;
    }
    b[o] = 0x06; // V_U32
    view.setUint32(o + 1, n, true);
    return o + 5;
  }
  if (Number.isFinite(n)) {
    b[o] = 0x07; // V_F64
    view.setFloat64(o + 1, n, true);
    return o + 9;
  }
  b[o] = 0x01; // V_NULL
  return o + 1;
}

/** A string by its number at `o` (room reserved); returns the end. */
export function refAt(b: Buffer, view: DataView, o: number, id: number): number {
  if (id < 0x100) {
    b[o] = 0x10; // S_REF8
    b[o + 1] = id;
    return o + 2;
  }
  b[o] = 0x11; // S_REF32
  view.setUint32(o + 1, id, true);
  return o + 5;
}

/** A field value of a shaped record (TraceBus.emitFields); undefined leaves the field out. */
export type TraceValue = number | string | boolean | null | readonly number[] | undefined;
