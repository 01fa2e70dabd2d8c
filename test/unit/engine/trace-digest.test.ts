import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serialiseRecord, TraceBus, type TraceData } from '../../../hw-sim/engine/trace.ts';

/** The digest as documented: SHA-256 over `t seq src kind json(data)\n` per record. */
function expected(records: [number, string, string, TraceData][]): string {
  const h = createHash('sha256');
  records.forEach(([t, src, kind, data], seq) => {
    h.update(`${t} ${seq} ${src} ${kind} ${data === undefined ? '' : JSON.stringify(data)}\n`);
  });
  return h.digest('hex');
}

function digestOf(records: [number, string, string, TraceData][]): string {
  let now = 0;
  const bus = new TraceBus(() => now);
  for (const [t, src, kind, data] of records) {
    now = t;
    bus.emit(src, kind, data);
  }
  return bus.digest();
}

describe('trace digest (bytes written without a string per record)', () => {
  it('equals SHA-256 over the canonical lines for every kind of value', () => {
    const recs: [number, string, string, TraceData][] = [
      [0, 'client/nic0', 'nic.tx', { seq: 2266185033, bytes: 896, frames: 1, dropped: false }],
      [9, 'a/irq', 'irq.lost', { line: 11 }],
      [10, 'x', 'empty', {}],
      [11, 'x', 'none', undefined],
      [2 ** 40 + 7, 'x', 'big', { n: Number.MAX_SAFE_INTEGER, m: -Number.MAX_SAFE_INTEGER, huge: 1e21, tiny: 5e-7, zeros: 5_000_000_001, round: 1e15, padded: 12_00000_0070 }],
      [12, 'x', 'odd numbers', { neg: -42, zero: -0, frac: 0.1 + 0.2, nan: NaN, inf: -Infinity, pow: 2 ** 31, below: 2 ** 31 - 1 }],
      [13, 'x', 'strings', { plain: 'nic0-rx', quote: 'say "hi"', slash: 'a\\b', ctl: 'tab\there\n', del: '\x7f', uni: 'héllo ✓ 😀', lone: '\ud800x', empty: '' }],
      [14, 'x', 'skipped', { a: undefined, f: () => 1, b: 2, s: Symbol('s') } as unknown as TraceData],
      [15, 'x', 'nested', { ok: 1, arr: [1, 'two', null, undefined], obj: { deep: { er: true } } }],
      [16, 'x', 'null and bools', { n: null, t: true, f: false }],
      [17, 'x', 'integer keys', { b: 1, 2: 'two', a: 3, 1: 'one' }],
      [18, 'host-ü/dev', 'kind✓', { why: 'non-ASCII source and kind' }],
      [19, 'x', 'date', { at: new Date(0) }],
      [20, 'x', 'long', { s: 'y'.repeat(200_000), n: 1 }],
      [21, 'x', 'key "quoted"', { 'k"ey': 1, 'ключ': 2 }],
      [22, 'x', 'not an object', null as unknown as TraceData],
      [23, 'x', 'an array', [1, 'a'] as unknown as TraceData],
      [24, 'x', 'a number', 7 as unknown as TraceData],
      // Around the uint32 and int32 edges the digit writer switches paths.
      [2 ** 32 - 1, 'x', 'u32 edges', { max: 2 ** 32 - 1, over: 2 ** 32, i31: 2 ** 31, nearBillion: 999_999_999, billion: 1e9, ten: 10, nine: 9, hundred: 100 }],
      [2 ** 32 + 1, 'x', 'number lists', { rids: [3, 17, 2 ** 40, -5, 0.5, -0, NaN, Infinity], none: [], one: [7], after: 'x' }],
      [2 ** 32 + 2, 'x', 'mixed lists', { ok: [1, 2], bad: [1, 'two'], holes: new Array<number>(3).fill(1, 0, 1), tail: 9 }],
      [2 ** 32 + 3, 'x', 'long list', { rids: Array.from({ length: 5000 }, (_, i) => i * 1_000_003) }],
      // Inherited enumerable keys: for-in walks them, JSON.stringify (the canonical line) does not.
      [2 ** 32 + 4, 'x', 'inherited keys', Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { own: 2 })],
      [2 ** 32 + 5, 'x', 'no prototype', Object.assign(Object.create(null) as Record<string, unknown>, { own: 3 })],
      [2 ** 32, 'x', 'negative edges', { min32: -(2 ** 31), negU32: -(2 ** 32 - 1), negOver: -(2 ** 32 + 1), minusOne: -1, fracNeg: -0.5, bigNeg: -1e300 }],
    ];
    expect(digestOf(recs)).toBe(expected(recs));
  });

  it('stays equal across many records (the buffer is handed to the hash in pieces)', () => {
    const recs: [number, string, string, TraceData][] = [];
    for (let i = 0; i < 20_000; i++) {
      // Several records per instant (as in one engine event), across buffer hand-overs.
      recs.push([Math.floor(i / 3) * 1_000_003, `host${i % 7}/dev`, i % 3 === 0 ? 'tx' : 'rx', i % 5 === 0 ? undefined : { i, half: i / 2, tag: `t${i % 11}` }]);
    }
    expect(digestOf(recs)).toBe(expected(recs));
  });

  it('a bigint in the data throws as JSON.stringify does, and the digest is unaffected', () => {
    let now = 0;
    const bus = new TraceBus(() => now);
    bus.emit('x', 'first', { a: 1 });
    expect(() => bus.emit('x', 'bad', { a: 1, b: 2n } as unknown as TraceData)).toThrow(TypeError);
    now = 5;
    bus.emit('x', 'after', { c: 3 });
    // The failed emit took a sequence number (seq 1) but wrote no line.
    const h = createHash('sha256');
    h.update('0 0 x first {"a":1}\n');
    h.update('5 2 x after {"c":3}\n');
    expect(bus.digest()).toBe(h.digest('hex'));
  });

  it('hashes exactly serialiseRecord of every record, for random flat and nested data', () => {
    const key = fc.oneof(fc.constantFrom('seq', 'bytes', 'tag', 'a', '0', '12'), fc.string({ maxLength: 6 }));
    const flat = fc.oneof(
      fc.integer(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.integer({ min: 0, max: 2 ** 33 }),
      fc.constantFrom(0, -0, 2 ** 31, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity),
      fc.double(),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    );
    const value = fc.oneof({ weight: 6, arbitrary: flat }, { weight: 1, arbitrary: fc.array(flat, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.dictionary(key, flat, { maxKeys: 3 }) });
    const data = fc.option(fc.dictionary(key, value, { maxKeys: 8 }), { nil: undefined, freq: 8 });
    const record = fc.tuple(fc.nat({ max: 2 ** 45 }), fc.constantFrom('client/nic0', 'a/irq', 'höst/dev'), fc.constantFrom('nic.tx', 'rq.complete', 'kïnd'), data);
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (recs) => {
        let now = 0;
        const bus = new TraceBus(() => now);
        const h = createHash('sha256');
        bus.subscribe((r) => h.update(serialiseRecord(r)));
        for (const [t, src, kind, d] of recs) {
          now = t;
          bus.emit(src, kind, d as TraceData);
        }
        expect(bus.digest()).toBe(h.digest('hex'));
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});
