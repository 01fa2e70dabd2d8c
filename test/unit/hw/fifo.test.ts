import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../hw-sim/net/fifo.ts';

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
