/**
 * Sector → request map for the merge index: open addressing with linear probing over typed
 * arrays, deletion by backward shift. Unlike a Map it allocates nothing while requests come and
 * go (a Map shrinks and regrows its table as the queue drains and fills), only when it grows.
 */
import type { Request } from './request.ts';

const EMPTY_KEY = -1;

export class SectorMap {
  private keys: Float64Array;
  private vals: (Request | null)[];
  private mask: number;
  private n = 0;

  constructor(capacity = 64) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY_KEY);
    this.vals = new Array<Request | null>(cap).fill(null);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.n;
  }

  get(sector: number): Request | undefined {
    // Empty (the usual case: a request leaves the index as soon as it is dispatched): no probe.
    if (this.n === 0) return undefined;
    const keys = this.keys;
    for (let i = slotOf(sector, this.mask); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === sector) return this.vals[i]!;
      if (k === EMPTY_KEY) return undefined;
    }
  }

  set(sector: number, rq: Request): void {
    if (sector < 0 || !Number.isSafeInteger(sector)) throw new RangeError(`SectorMap: sector ${sector} is not a non-negative safe integer`);
    if (2 * (this.n + 1) > this.keys.length) this.grow();
    const keys = this.keys;
    for (let i = slotOf(sector, this.mask); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === sector) {
        this.vals[i] = rq;
        return;
      }
      if (k === EMPTY_KEY) {
        keys[i] = sector;
        this.vals[i] = rq;
        this.n++;
        return;
      }
    }
  }

  delete(sector: number): boolean {
    return this.deleteIf(sector, null);
  }

  /** Deletes the entry of `sector` only if it maps to `rq` (null: whatever it maps to); one probe. */
  deleteIf(sector: number, rq: Request | null): boolean {
    if (this.n === 0) return false;
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = slotOf(sector, mask);
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY_KEY) return false;
      if (k === sector) break;
      i = (i + 1) & mask;
    }
    if (rq !== null && vals[i] !== rq) return false;
    // Backward shift: pull later entries of the probe run into the hole so lookups never stop early.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY_KEY; j = (j + 1) & mask) {
      const home = slotOf(keys[j]!, mask);
      // Entry j may move to the hole if its home is not within (hole, j] cyclically.
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        vals[hole] = vals[j]!;
        hole = j;
      }
    }
    keys[hole] = EMPTY_KEY;
    vals[hole] = null;
    this.n--;
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(EMPTY_KEY);
    this.vals = new Array<Request | null>(cap).fill(null);
    this.mask = cap - 1;
    this.n = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY_KEY) this.set(oldKeys[i]!, oldVals[i]!);
  }
}

/** Home slot of a sector (a safe integer): both 32-bit halves mixed, then masked. */
function slotOf(sector: number, mask: number): number {
  const lo = sector >>> 0;
  const hi = (sector / 4294967296) >>> 0;
  const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}
