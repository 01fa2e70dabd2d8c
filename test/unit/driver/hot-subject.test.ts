import { describe, expect, it } from 'vitest';
import { HotSubject } from '../../../drivers/nbd/managers/hot-subject.ts';

describe('HotSubject (per-request emissions without rxjs allocations)', () => {
  it('delivers each value to every subscriber in subscription order', () => {
    const s = new HotSubject<number>();
    const seen: string[] = [];
    s.subscribe((v) => seen.push(`a${v}`));
    s.subscribe((v) => seen.push(`b${v}`));
    s.next(1);
    s.next(2);
    expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('a subscribe or unsubscribe during an emission applies from the next one, as in rxjs', () => {
    const s = new HotSubject<number>();
    const seen: string[] = [];
    const a = s.subscribe((v) => {
      seen.push(`a${v}`);
      if (v === 1) {
        a.unsubscribe();
        s.subscribe((w) => seen.push(`d${w}`));
      }
    });
    s.subscribe((v) => seen.push(`b${v}`));
    s.subscribe((v) => seen.push(`c${v}`));
    s.next(1);
    s.next(2);
    // 1 reaches a, b and c (walking the live list would skip b once a left); 2 reaches b, c and d.
    expect(seen).toEqual(['a1', 'b1', 'c1', 'b2', 'c2', 'd2']);
  });

  it('a late subscriber misses earlier values; after complete nothing is delivered; after unsubscribe() next throws', () => {
    const s = new HotSubject<number>();
    const seen: number[] = [];
    s.next(0);
    s.subscribe((v) => seen.push(v));
    s.next(1);
    s.complete();
    s.next(2);
    expect(seen).toEqual([1]);
    const t = new HotSubject<number>();
    t.unsubscribe();
    expect(() => t.next(1)).toThrow(/unsubscribed/i);
  });
});
