import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestOfRecords, serialiseRecord, TraceBus, type TraceData, type TraceRecord } from '../../../hw-sim/engine/trace.ts';

type Rec = [number, string, string, TraceData];

/** The digest of a run that emitted `records` (t, src, kind, data; seq as emitted). */
function digestOf(records: Rec[]): string {
  let now = 0;
  const bus = new TraceBus(() => now);
  for (const [t, src, kind, data] of records) {
    now = t;
    bus.emit(src, kind, data);
  }
  return bus.digest();
}

/** The records as a JSONL trace holds them, read back. */
function readBack(records: Rec[]): TraceRecord[] {
  return records.map(([t, src, kind, data], seq) => JSON.parse(JSON.stringify({ t, seq, src, kind, data })) as TraceRecord);
}

function lines(records: Rec[]): string {
  return records.map(([t, src, kind, data], seq) => serialiseRecord({ t, seq, src, kind, data })).join('');
}

describe('trace digest (SHA-256 over each record\'s JSON value, encoded by RecordEncoder)', () => {
  it('is the bytes the format describes, hashed (worked by hand for two records)', () => {
    const bytes = Buffer.from([
      // t 0 = the start (T_SAME), seq 0 = -1 + 1 (S_NEXT): 0x80 | 0x01 | 0x04.
      0x85,
      0x12, 1, 0, 0, 0, 0x61, // src 'a', new string #0
      0x12, 1, 0, 0, 0, 0x6b, // kind 'k', new string #1
      0x0a, 1, 0, 0, 0, // an object of one key ...
      0x04, 7, // ... whose value is 7 (u8) ...
      0x12, 2, 0, 0, 0, 0x78, 0x00, // ... and key list 'x\0', new string #2
      // t 300 = 0 + 300 (T_DELTA, u32), seq 1 (S_NEXT): 0x80 | 0x02 | 0x04.
      0x86, 0x2c, 0x01, 0, 0,
      0x10, 0, 0x10, 1, // src #0, kind #1
      0x00, // no data
    ]);
    expect(digestOf([[0, 'a', 'k', { x: 7 }], [300, 'a', 'k', undefined]])).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('is recomputed from the records of a JSONL trace, for every kind of value', () => {
    const recs: Rec[] = [
      [0, 'client/nic0', 'nic.tx', { seq: 2266185033, bytes: 896, frames: 1, dropped: false }],
      [9, 'a/irq', 'irq.lost', { line: 11 }],
      [10, 'x', 'empty', {}],
      [11, 'x', 'none', undefined],
      [2 ** 40 + 7, 'x', 'big', { n: Number.MAX_SAFE_INTEGER, m: -Number.MAX_SAFE_INTEGER, huge: 1e21, tiny: 5e-7, round: 1e15 }],
      [12, 'x', 'odd numbers', { neg: -42, zero: -0, frac: 0.1 + 0.2, nan: NaN, inf: -Infinity, pow: 2 ** 31, u8: 255, u16: 65535, u32: 2 ** 32 - 1, over: 2 ** 32 }],
      [13, 'x', 'strings', { plain: 'nic0-rx', quote: 'say "hi"', slash: 'a\\b', ctl: 'tab\there\n', uni: 'héllo ✓ 😀', empty: '' }],
      [14, 'x', 'skipped', { a: undefined, f: () => 1, b: 2, s: Symbol('s') } as unknown as TraceData],
      [15, 'x', 'nested', { ok: 1, arr: [1, 'two', null, undefined], obj: { deep: { er: true } } }],
      [16, 'x', 'integer keys', { b: 1, 2: 'two', a: 3, 1: 'one' }],
      [17, 'host-ü/dev', 'kind✓', { why: 'non-ASCII source and kind' }],
      [18, 'x', 'date', { at: new Date(0) }],
      [19, 'x', 'long', { s: 'y'.repeat(200_000), n: 1 }],
      [20, 'x', 'keys', { 'k"ey': 1, 'ключ': 2, '"q': 3, 'nul\0': 4 }],
      [21, 'x', 'not an object', null as unknown as TraceData],
      [22, 'x', 'an array', [1, 'a'] as unknown as TraceData],
      [23, 'x', 'lists', { rids: [3, 17, 2 ** 40, -5, 0.5, -0, NaN], holes: new Array<number>(3).fill(1, 0, 1), none: [] }],
      [24, 'x', 'inherited keys', Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { own: 2 })],
      [25, 'x', 'no prototype', Object.assign(Object.create(null) as Record<string, unknown>, { own: 3 })],
      [25, 'x', 'boxed', { n: Object(5) as number, s: Object('s') as string }],
      [1, 'x', 'time going back', { a: 1 }],
      [1 + 2 ** 33, 'x', 'a long step', { a: 1 }],
    ];
    expect(digestOf(recs)).toBe(digestOfRecords(readBack(recs)));
  });

  it('stays recomputable across many records (the buffer is handed to the hash in pieces)', () => {
    const recs: Rec[] = [];
    for (let i = 0; i < 20_000; i++) {
      recs.push([Math.floor(i / 3) * 1_000_003, `host${i % 7}/dev`, i % 3 === 0 ? 'tx' : 'rx', i % 5 === 0 ? undefined : { i, half: i / 2, tag: `t${i % 11}` }]);
    }
    expect(digestOf(recs)).toBe(digestOfRecords(readBack(recs)));
  });

  it('a bigint in the data throws as JSON.stringify does; the digest is that of the records around it', () => {
    let now = 0;
    const bus = new TraceBus(() => now);
    bus.emit('x', 'first', { a: 1 });
    // Strings first seen in the failed record (its src, kind, key list) get no number.
    expect(() => bus.emit('fresh', 'bad', { a: 1, b: 2n } as unknown as TraceData)).toThrow(TypeError);
    now = 5;
    bus.emit('fresh', 'after', { c: 3 });
    expect(bus.digest()).toBe(digestOfRecords([
      { t: 0, seq: 0, src: 'x', kind: 'first', data: { a: 1 } },
      { t: 5, seq: 2, src: 'fresh', kind: 'after', data: { c: 3 } },
    ]));
  });

  it('two runs have the same digest exactly when their canonical lines are the same', () => {
    // Small domains, so equal and nearly equal records are drawn often: 0 and -0, null and NaN,
    // a missing key and an undefined one, "1" and 1, keys in another order, src/kind boundaries.
    const value = fc.constantFrom<unknown>(0, -0, 1, 256, 2 ** 32, 0.5, NaN, null, undefined, '1', '', 'a', true, [1], [], [null], { k: 1 });
    const data = fc.option(fc.dictionary(fc.constantFrom('a', 'b', '0', 'a\0', '"a"'), value, { maxKeys: 3 }), { nil: undefined, freq: 4 });
    const record = fc.tuple(fc.constantFrom(0, 1, 2 ** 32 + 1), fc.constantFrom('a', 'ab', 'a/b'), fc.constantFrom('b', 'c', 'bc'), data);
    const run = fc.array(record, { minLength: 1, maxLength: 4 }) as fc.Arbitrary<Rec[]>;
    fc.assert(
      fc.property(run, run, (a, b) => {
        expect(digestOf(a) === digestOf(b)).toBe(lines(a) === lines(b));
        expect(digestOf(a)).toBe(digestOfRecords(readBack(a)));
      }),
      { numRuns: 2000, seed: 15 },
    );
  });
});
