import seedrandom from 'seedrandom';

/** A deterministic random source. Every draw comes from one named stream. */
export interface Rng {
  readonly name: string;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Standard normal (Box-Muller), for jitter models. */
  normal(): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
}

class AleaRng implements Rng {
  private readonly prng: seedrandom.PRNG;
  constructor(readonly name: string, seed: string) {
    this.prng = seedrandom.alea(seed);
  }
  next(): number {
    return this.prng();
  }
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }
  chance(p: number): boolean {
    return p > 0 && this.prng() < p;
  }
  range(lo: number, hi: number): number {
    return lo + this.prng() * (hi - lo);
  }
  normal(): number {
    const u = 1 - this.prng();
    const v = this.prng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  exponential(mean: number): number {
    return -Math.log(1 - this.prng()) * mean;
  }
}

/**
 * Named streams forked from one scenario seed. A stream's numbers depend only on the seed and
 * its own name, so adding a component (a new stream) never shifts another component's draws.
 */
export class RngStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number | string) {}

  get(name: string): Rng {
    let s = this.streams.get(name);
    if (!s) {
      s = new AleaRng(name, `orion-sim:${this.seed}:${name}`);
      this.streams.set(name, s);
    }
    return s;
  }

  names(): string[] {
    return [...this.streams.keys()].sort();
  }
}
