import { describe, expect, it } from 'vitest';
import { Fifo, TaggedFifo } from '../../../hw-sim/net/fifo.ts';

describe('Fifo', () => {
  it('keeps order across wrap-around and growth', () => {
    const q = new Fifo<number>(2);
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) + 1; i++) q.push(next++);
      for (let i = 0; i < (round % 5) + 1 && q.length > 0; i++) seen.push(q.shift());
    }
    expect(q.at(0)).toBe(q.peek());
    while (q.length > 0) seen.push(q.shift());
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(() => q.shift()).toThrow(/empty/);
    expect(q.at(0)).toBeUndefined();
  });

  it('keeps order from any starting capacity (rounded up to a power of two)', () => {
    for (const cap of [0, 1, 3, 5, 100]) {
      const q = new Fifo<number>(cap);
      const seen: number[] = [];
      for (let i = 0; i < 300; i++) {
        q.push(i);
        if (i % 3 === 2) seen.push(q.shift(), q.shift());
      }
      while (q.length > 0) seen.push(q.shift());
      expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    }
  });
});

describe('TaggedFifo', () => {
  it('returns each item with its own two numbers, in order, across wrap-around and growth', () => {
    const q = new TaggedFifo<string>(2);
    const seen: [string, number, number][] = [];
    let next = 0;
    const take = (): void => {
      const v = q.shift();
      seen.push([v, q.x, q.y]);
    };
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < (round % 6) + 1; i++, next++) q.push(`p${next}`, next * 10, next + 0.5);
      for (let i = 0; i < (round % 4) + 1 && q.length > 0; i++) {
        expect(q.peekX()).toBe(seen.length * 10);
        take();
      }
    }
    while (q.length > 0) take();
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => [`p${i}`, i * 10, i + 0.5]));
    expect(() => q.shift()).toThrow(/empty/);
  });
});
