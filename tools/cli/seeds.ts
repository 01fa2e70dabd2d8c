import { InvalidArgumentError } from 'commander';

/** At most this many seeds in one sweep (a typo like 1..1e9 should not hang the shell). */
export const MAX_SWEEP_SEEDS = 1_000_000;

/** "A..B" (inclusive) or a single seed "N" → the seeds, ascending. */
export function parseSeedRange(v: string): number[] {
  const m = /^([0-9]+)(?:\.\.([0-9]+))?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected A..B (inclusive) or one seed N.');
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new InvalidArgumentError('seeds must be safe integers.');
  if (b < a) throw new InvalidArgumentError(`empty range: ${b} is below ${a}.`);
  if (b - a + 1 > MAX_SWEEP_SEEDS) throw new InvalidArgumentError(`at most ${MAX_SWEEP_SEEDS} seeds per sweep.`);
  const out: number[] = [];
  for (let s = a; s <= b; s++) out.push(s);
  return out;
}

export interface Shard {
  /** 1-based index of this shard. */
  readonly index: number;
  readonly count: number;
}

/** "I/N" with 1 ≤ I ≤ N: this machine's share of a CI matrix. */
export function parseShard(v: string): Shard {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected I/N, e.g. 2/8.');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new InvalidArgumentError(`need 1 ≤ I ≤ N, got ${index}/${count}.`);
  return { index, count };
}

/**
 * The seeds of one shard: seed s belongs to shard (s mod N) + 1. It depends on the seed alone,
 * so every machine agrees whatever range each was given, the shards are disjoint, and together
 * they cover the range.
 */
export function shardSeeds(seeds: readonly number[], shard: Shard | undefined): number[] {
  if (!shard) return [...seeds];
  return seeds.filter((s) => (s % shard.count) + 1 === shard.index);
}
