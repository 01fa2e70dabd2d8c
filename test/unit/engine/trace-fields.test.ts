import { describe, expect, it } from 'vitest';
import { serialiseRecord, TraceBus, traceShape, type TraceRecord } from '../../../hw-sim/engine/trace.ts';

const TX = traceShape('nic.tx', ['seq', 'bytes', 'frames', 'dropped', 'rids']);
const ODD = traceShape('odd', ['s', 'n', 'x']);

function bus(): { bus: TraceBus; at: (t: number) => void } {
  let now = 0;
  return { bus: new TraceBus(() => now), at: (t) => { now = t; } };
}

describe('shaped records (emitFields)', () => {
  it('are the record emit gives for the same object: undefined fields left out, same line, same digest', () => {
    const a = bus();
    const b = bus();
    const seen: string[] = [];
    a.bus.subscribe((r) => seen.push(serialiseRecord(r)));
    a.at(7);
    a.bus.emitFields('client/nic0', TX, 2266185033, 896, 1, undefined, [3, 4]);
    a.bus.emitFields('client/nic0', TX, -1, 0, 1, true);
    // Values the byte writer leaves to JSON.stringify: an escaped string, a non-finite number, a nested list.
    a.bus.emitFields('x', ODD, 'say "hi" ✓', NaN, [1, 'two'] as unknown as number[]);
    b.at(7);
    b.bus.emit('client/nic0', 'nic.tx', { seq: 2266185033, bytes: 896, frames: 1, rids: [3, 4] });
    b.bus.emit('client/nic0', 'nic.tx', { seq: -1, bytes: 0, frames: 1, dropped: true });
    b.bus.emit('x', 'odd', { s: 'say "hi" ✓', n: NaN, x: [1, 'two'] });
    expect(seen).toEqual([
      '7 0 client/nic0 nic.tx {"seq":2266185033,"bytes":896,"frames":1,"rids":[3,4]}\n',
      '7 1 client/nic0 nic.tx {"seq":-1,"bytes":0,"frames":1,"dropped":true}\n',
      '7 2 x odd {"s":"say \\"hi\\" ✓","n":null,"x":[1,"two"]}\n',
    ]);
    expect(a.bus.digest()).toBe(b.bus.digest());
  });

  it('two buses writing the same shapes in turn each get the digest of their own records', () => {
    const [a1, a2, b1, b2] = [bus(), bus(), bus(), bus()];
    for (let i = 0; i < 3; i++) {
      a1.bus.emitFields('n', TX, i, 1, 1, i === 1 ? true : undefined);
      a2.bus.emit('m', 'irq.raise', { line: i });
      a2.bus.emitFields('m', TX, i, 2, 1);
      b1.bus.emit('n', 'nic.tx', i === 1 ? { seq: i, bytes: 1, frames: 1, dropped: true } : { seq: i, bytes: 1, frames: 1 });
      b2.bus.emit('m', 'irq.raise', { line: i });
      b2.bus.emit('m', 'nic.tx', { seq: i, bytes: 2, frames: 1 });
    }
    expect(a1.bus.digest()).toBe(b1.bus.digest());
    expect(a2.bus.digest()).toBe(b2.bus.digest());
  });

  it('a bigint throws as emit does, taking a sequence number and writing no line', () => {
    const a = bus();
    const b = bus();
    // The shape's first record throws: the numbers it gave its kind and key list are taken back.
    const FRESH = traceShape('fresh', ['s', 'n']);
    expect(() => a.bus.emitFields('x', FRESH, 'b', 2n as unknown as number)).toThrow(TypeError);
    a.bus.emitFields('x', ODD, 'a');
    a.bus.emitFields('x', FRESH, 'c', 1);
    a.bus.emitFields('x', FRESH, 'd', 2);
    expect(() => b.bus.emit('x', 'fresh', { s: 'b', n: 2n } as never)).toThrow(TypeError);
    b.bus.emit('x', 'odd', { s: 'a' });
    b.bus.emit('x', 'fresh', { s: 'c', n: 1 });
    b.bus.emit('x', 'fresh', { s: 'd', n: 2 });
    expect(a.bus.digest()).toBe(b.bus.digest());
  });

  it('written in one pass once numbered, and by the object path otherwise: same digest over a long mixed run', () => {
    // Every way out of the one-pass writer: a string not seen before, a list holding a non-number,
    // a list too long for the room kept, a fresh source, a new set of keys, an object value; and
    // enough records to cross the buffer's hand-offs to the hash many times.
    const MIX = traceShape('mix', ['s', 'n', 'l', 'b', 'z']);
    // A kind and a source first seen after 256 strings were numbered: their numbers take four bytes.
    const LATE = traceShape('late', ['n']);
    const a = bus();
    const b = bus();
    for (let i = 0; i < 30_000; i++) {
      const t = Math.floor(i / 2) * 1_003 + (i % 97 === 0 ? 2 ** 33 : 0);
      a.at(t);
      b.at(t);
      // Twelve recurring strings: more than the shape keeps numbers of, so they take turns.
      const s = i % 50 === 0 ? `fresh${i}` : i % 4 === 0 ? `v${i % 12}` : i % 2 === 0 ? 'tx' : 'rx';
      // Lists of one number (written by the shape's writer itself) of each width, and ones it leaves to the bus.
      const one = [[i % 200], [i * 97], [i * 1_000_003], [-i], [i + 0.5], [-0], [2 ** 32 + i]][i % 7]!;
      // Lists of two: whole numbers of each width (the writer's own) and ones with another number (the bus's).
      const two = [[i % 200, i * 97], [i * 1_000_003, i % 200], [i * 97, i * 1_000_003], [i, -i], [i + 0.5, i], [2 ** 32 + i, 1]][i % 6]!;
      const l = i % 7 === 0 ? [i, 'x'] : i % 301 === 0 ? Array.from({ length: 3000 }, (_, k) => k * i) : i % 3 === 1 ? one : two;
      const src = i % 1000 === 0 ? `src${i}` : i > 20_000 && i % 5 === 1 ? 'late/nic0' : i % 3 === 0 ? 'fabric/a-nic0' : 'fabric/client-nic0';
      const n = i % 5 === 0 ? 0.25 * i : i % 11 === 0 ? -i : i * 977;
      const z = i % 13 === 0 ? { o: i } : i % 17 === 0 ? null : undefined;
      a.bus.emitFields(src, MIX, s, n, l as number[], i % 3 === 0 ? i % 2 === 0 : undefined, z as unknown as number);
      const d: Record<string, unknown> = { s, n, l };
      if (i % 3 === 0) d['b'] = i % 2 === 0;
      if (z !== undefined) d['z'] = z;
      b.bus.emit(src, 'mix', d);
      // A list of one number as the last of five values (the writer's names for them are a..e).
      a.bus.emitFields(src, TX, i, 1, 1, undefined, [i * 31]);
      b.bus.emit(src, 'nic.tx', { seq: i, bytes: 1, frames: 1, rids: [i * 31] });
      if (i > 20_000 && i % 7 === 3) {
        a.bus.emitFields(i % 2 === 0 ? 'late/nic0' : 'fabric/a-nic0', LATE, i);
        b.bus.emit(i % 2 === 0 ? 'late/nic0' : 'fabric/a-nic0', 'late', { n: i });
      }
    }
    expect(a.bus.digest()).toBe(b.bus.digest());
  });

  it('refuses keys JSON would reorder, and more keys than emitFields takes', () => {
    expect(() => traceShape('k', ['a', '0'])).toThrow(/key '0'/);
    expect(() => traceShape('k', Array.from({ length: 11 }, (_, i) => `k${i}`))).toThrow(/11 keys/);
  });
});

describe('subscribers by kind', () => {
  it('a subscriber with kinds hears only those, in subscription order with the others; unsubscribing stops it', () => {
    const { bus: b } = bus();
    const log: string[] = [];
    b.subscribe((r) => log.push(`all ${r.kind}`));
    const off = b.subscribe((r) => log.push(`rx ${r.kind} ${JSON.stringify(r.data)}`), ['nic.rx', 'nic.tx']);
    b.subscribe((r) => log.push(`late ${r.kind}`), ['nic.tx']);
    b.emit('n', 'irq.raise', { line: 1 });
    b.emitFields('n', TX, 1, 2, 3);
    off();
    b.emitFields('n', TX, 4, 5, 6);
    expect(log).toEqual([
      'all irq.raise',
      'all nic.tx', 'rx nic.tx {"seq":1,"bytes":2,"frames":3}', 'late nic.tx',
      'all nic.tx', 'late nic.tx',
    ]);
  });

  it('a field test keeps from a subscriber the records of its kind whose field fails it, shaped or not', () => {
    const { bus: b } = bus();
    const log: string[] = [];
    b.subscribe((r) => log.push(`all ${r.kind} ${JSON.stringify(r.data)}`));
    b.subscribe((r) => log.push(`dropped ${JSON.stringify(r.data)}`), ['nic.tx', 'irq.raise'], {
      'nic.tx': ['dropped', (v) => v === true],
      'irq.raise': ['line', (v) => v === 2],
    });
    b.emitFields('n', TX, 1, 2, 3);
    b.emitFields('n', TX, 4, 5, 6, true);
    b.emit('n', 'irq.raise', { line: 1 });
    b.emit('n', 'irq.raise', { line: 2 });
    b.emit('n', 'irq.raise');
    expect(log).toEqual([
      'all nic.tx {"seq":1,"bytes":2,"frames":3}',
      'all nic.tx {"seq":4,"bytes":5,"frames":6,"dropped":true}', 'dropped {"seq":4,"bytes":5,"frames":6,"dropped":true}',
      'all irq.raise {"line":1}',
      'all irq.raise {"line":2}', 'dropped {"line":2}',
      'all irq.raise undefined',
    ]);
  });

  it('records nobody reads are still counted and digested', () => {
    const a = bus();
    const b = bus();
    const got: TraceRecord[] = [];
    a.bus.subscribe((r) => got.push(r), ['rq.done']);
    a.bus.emit('n', 'irq.raise', { line: 1 });
    b.bus.emit('n', 'irq.raise', { line: 1 });
    expect(got).toEqual([]);
    expect(a.bus.count).toBe(1);
    expect(a.bus.digest()).toBe(b.bus.digest());
  });
});
