import type { Rng } from '../engine/rng.ts';
import type { BlockError } from './disk-io.ts';
import type { DiskOp } from './presets.ts';

/**
 * An injected fault: requests of `ops` touching [from, to) fail with `error`, always or with
 * probability `rate` drawn from the named RNG stream (so a run replays exactly).
 */
export interface FaultRule {
  error: Extract<BlockError, 'EIO' | 'ENOSPC'>;
  /** Ops the rule applies to; all data ops when absent. */
  ops?: readonly DiskOp[];
  /** Byte range; the whole device when absent. */
  from?: number;
  to?: number;
  /** Probability per matching request; 1 when absent. */
  rate?: number;
  /** RNG stream name for `rate`; defaults to `<owner>/faults`. */
  stream?: string;
}

/** A list of fault rules checked in insertion order; the first one that fires wins. */
export class FaultSet {
  private readonly rules = new Map<number, FaultRule>();
  private nextId = 1;

  constructor(private readonly rngOf: (name: string) => Rng, private readonly defaultStream: string) {}

  get size(): number {
    return this.rules.size;
  }

  /** Adds a rule; returns its id for `remove`. */
  add(rule: FaultRule): number {
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new RangeError(`fault rate must be in [0, 1], got ${rule.rate}`);
    if (rule.from !== undefined && rule.to !== undefined && rule.to < rule.from) throw new RangeError(`fault range [${rule.from}, ${rule.to}) is empty`);
    const id = this.nextId++;
    this.rules.set(id, rule);
    return id;
  }

  remove(id: number): boolean {
    return this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  /** The error for a request, or null. Draws from a rule's stream only when the range matches. */
  check(op: DiskOp, offset: number, length: number): BlockError | null {
    if (this.rules.size === 0) return null;
    for (const rule of this.rules.values()) {
      if (rule.ops ? !rule.ops.includes(op) : op === 'status') continue;
      const from = rule.from ?? 0;
      const to = rule.to ?? Number.MAX_SAFE_INTEGER;
      if (op === 'flush') {
        // Flush has no range: it fails when the rule names it, or the rule covers the whole device.
        if (!rule.ops && (rule.from !== undefined || rule.to !== undefined)) continue;
      } else if (offset + Math.max(length, 1) <= from || offset >= to) continue;
      if (rule.rate !== undefined && rule.rate < 1 && !this.rngOf(rule.stream ?? this.defaultStream).chance(rule.rate)) continue;
      return rule.error;
    }
    return null;
  }
}
