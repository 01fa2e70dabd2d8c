import type { TraceValue } from './trace-bytes.ts';
import type { TraceSource } from './trace-source.ts';

/**
 * What a shape's writer (below) calls on the bus: the record's fixed parts, a value other than a
 * small whole number, the record's end, and the paths a record takes when not written in one pass.
 */
export interface ShapedSink {
  readonly enabled: boolean;
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** The bus's subscription version (a shape whose readersVersion is this one has its readers for it). */
  readonly version: number;
  /** Takes the record's time and number; writes its header, source, kind and object tag; returns where its values go (-1: left to `shapedSlow`). */
  shapedStart(src: TraceSource, shape: object): number;
  /** A value other than a whole number in [0, 2^32) at `o`; returns the end (-1: left to `shapedSlow`). */
  shapedValue(v: unknown, o: number, shape: object): number;
  /** The count and key list after values ending at `o`; false: left to `shapedSlow`. */
  shapedEnd(o: number, mask: number, kept: number, shape: object): boolean;
  /** The record written by the object path instead. */
  shapedSlow(src: TraceSource, shape: object, vals: readonly TraceValue[]): void;
  /** The record to the subscribers of its kind (none: returns at once). */
  shapedRead(src: TraceSource, shape: object, ...vals: TraceValue[]): void;
}

/** Writes one record of its shape from `src` when the bus is enabled: the values in the shape's key order. */
export type ShapeWriter = (bus: ShapedSink, src: TraceSource, ...vals: TraceValue[]) => void;

const NAMES = 'abcdefghij';
let made = 0;

/**
 * A writer for one shape of `n` keys, made from source text (new Function) so that each shape has
 * its own compiled code: straight-line, one block per value, each with its own type feedback. One
 * loop over the values shared by every kind took each value through the same sites, so a number was
 * handled as a double and picked out of the arguments by a chain of tests (~930 instructions a
 * record). A whole number in [0, 2^32) is written here, in the same bytes as numAt's.
 */
export function shapeWriter(shape: object, n: number): ShapeWriter {
  const vals = NAMES.slice(0, n).split('');
  const kept = [0, 1, 2, 3];
  // Per value, the commoner first: a whole number in [0, 2^32) as numAt writes it; one of the last
  // four strings written there, by its one-byte number (V_STR 0x08, S_REF8 0x10, the number; one
  // store, its fourth byte past the end), kept in sK_/iK_ (-1: none) for the bus that numbered it;
  // true, false, null (V_TRUE 0x02, V_FALSE 0x03, V_NULL 0x01); a list of one or two such numbers
  // (V_ARR 0x09, u32 count); anything else by the bus. Vars, not lets: no hole checks.
  const blocks = vals.map((x, k) => `
    if (${x} !== undefined && o >= 0) {
      mask |= ${1 << k};
      kept++;
      if (typeof ${x} === 'number' && ${x} >>> 0 === ${x}) {${whole(x)}
      }${kept.map((c) => ` else if (typeof ${x} === 'string' && ${x} === s${c}_${x} && i${c}_${x} >= 0) {
        view.setUint32(o, 0x1008 | (i${c}_${x} << 16), true); o += 3;
      }`).join('')}
      else if (${x} === true) buf[o++] = 0x02;
      else if (${x} === false) buf[o++] = 0x03;
      else if (${x} === null) buf[o++] = 0x01;
      else if (Array.isArray(${x}) && ${x}.length === 1 && ${x}.toJSON === undefined && typeof ${x}[0] === 'number' && ${x}[0] >>> 0 === ${x}[0]) {
        const one = ${x}[0];${one('one')}
      } else if (Array.isArray(${x}) && ${x}.length === 2 && ${x}.toJSON === undefined && typeof ${x}[0] === 'number' && ${x}[0] >>> 0 === ${x}[0] && typeof ${x}[1] === 'number' && ${x}[1] >>> 0 === ${x}[1]) {
        const e0 = ${x}[0];
        const e1 = ${x}[1];
        view.setUint32(o, 0x209, true); buf[o + 4] = 0; o += 5;${whole('e0')}${whole('e1')}
      } else {
        const p = o;
        o = bus.shapedValue(${x}, o, shape);
        if (o === p + 3 && typeof ${x} === 'string' && buf[p + 1] === 0x10) {${[3, 2, 1].map((c) => `
          s${c}_${x} = s${c - 1}_${x}; i${c}_${x} = i${c - 1}_${x};`).join('')}
          s0_${x} = ${x};
          i0_${x} = buf[p + 2];
        }
      }
    }`).join('');
  // The number in the text keeps V8 from taking two shapes' writers (same text) for one function.
  const body = `'use strict';
  // trace shape writer ${made++}
  var owner = null;${vals.map((x) => kept.map((c) => `\n  var s${c}_${x} = '', i${c}_${x} = -1;`).join('')).join('')}
  return function write(bus, src${vals.map((x) => `, ${x}`).join('')}) {
    if (bus.enabled !== true) return;
    let o = bus.shapedStart(src, shape);
    if (o >= 0) {
      const buf = bus.buf;
      const view = bus.view;
      if (bus !== owner) {
        owner = bus;${vals.map((x) => `\n        ${kept.map((c) => `i${c}_${x} = `).join('')}-1;`).join('')}
      }
      let mask = 0;
      let kept = 0;${blocks}
      if (o < 0 || !bus.shapedEnd(o, mask, kept, shape)) o = -1;
    }
    if (o < 0) bus.shapedSlow(src, shape, [${vals.join(', ')}]);
    // Most kinds have no reader: the call is made only to find or give them (shapedRead).
    if (shape.readersVersion !== bus.version || shape.readers.length !== 0) bus.shapedRead(src, shape${vals.map((x) => `, ${x}`).join('')});
  };`;
  return new Function('shape', body)(shape) as ShapeWriter;
}

/**
 * Writes `x`, a whole number in [0, 2^32), at o as numAt does (V_U8 0x04, V_U16 0x05, V_U32 0x06,
 * little endian): tag and value in one DataView store where they fit in 4 bytes. A u16 is written
 * as 4 bytes, the last past its end (the record's room is reserved; what follows overwrites it).
 */
function whole(x: string): string {
  return `
        if (${x} < 0x100) { view.setUint16(o, 0x04 | (${x} << 8), true); o += 2; }
        else if (${x} < 0x10000) { view.setUint32(o, 0x05 | (${x} << 8), true); o += 3; }
        else { buf[o] = 0x06; view.setUint32(o + 1, ${x}, true); o += 5; }`;
}

/**
 * Writes `[x]`, x a whole number in [0, 2^32), at o (V_ARR 0x09, u32 count 1, then x as `whole`
 * writes it) in two or three stores: 09 01 00 00, then the count's last 00 with x's tag and bytes.
 */
function one(x: string): string {
  return `
        view.setUint32(o, 0x109, true);
        if (${x} < 0x100) { view.setUint32(o + 4, 0x400 | (${x} << 16), true); o += 7; }
        else if (${x} < 0x10000) { view.setUint32(o + 4, 0x500 | (${x} << 16), true); o += 8; }
        else { view.setUint16(o + 4, 0x600, true); view.setUint32(o + 6, ${x}, true); o += 10; }`;
}
