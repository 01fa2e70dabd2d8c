import { describe, expect, it } from 'vitest';
import { parseSeedRange, parseShard, shardSeeds } from '../../../tools/cli/seeds.ts';

describe('sweep seed ranges and shards', () => {
  it('A..B is inclusive; one number is one seed', () => {
    expect(parseSeedRange('3..7')).toEqual([3, 4, 5, 6, 7]);
    expect(parseSeedRange('9')).toEqual([9]);
    expect(parseSeedRange('0..0')).toEqual([0]);
  });

  it.each([['7..3'], ['a..b'], ['1...3'], ['-1..2'], ['1..2000000']])('rejects %s', (v) => {
    expect(() => parseSeedRange(v)).toThrow();
  });

  it('I/N is 1-based', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseShard('0/4')).toThrow();
    expect(() => parseShard('5/4')).toThrow();
    expect(() => parseShard('x')).toThrow();
  });

  it('shards are disjoint, cover the range, and depend on the seed alone', () => {
    const seeds = parseSeedRange('0..199');
    const shards = [1, 2, 3].map((index) => shardSeeds(seeds, { index, count: 3 }));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(seeds);
    expect(new Set(shards.flat()).size).toBe(200);
    // Seed 100 is in shard (100 mod 3) + 1 = 2 whatever range a machine was given.
    expect(shardSeeds(parseSeedRange('100..101'), { index: 2, count: 3 })).toEqual([100]);
    expect(shards[1]).toContain(100);
    // Balanced to within one seed.
    expect(shards.map((s) => s.length)).toEqual([67, 67, 66]);
  });
});
