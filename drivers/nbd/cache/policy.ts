/**
 * Eviction policies of the block cache, over slot numbers (no allocation per access).
 * `lru`: one recency list. `s3-fifo` (Yang et al., SOSP'23): a small FIFO (10 % of the slots)
 * that new blocks enter, a main FIFO with a 2-bit access count per block and lazy promotion,
 * and a ghost FIFO of recently evicted block numbers (no data) that sends a returning block
 * straight to main. A block read once (a scan) leaves from the small FIFO without pushing the
 * hot set out. docs/cache.md has the measurement that chose the default.
 */
import { SlotLinks, SlotList } from './slot-list.ts';

export type EvictionPolicyName = 'lru' | 's3-fifo';

export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /** A new block now lives in slot `s`. */
  inserted(s: number, block: number): void;
  /** A cached block was used (read hit). */
  accessed(s: number): void;
  /** The cache freed the slot itself (invalidation, crash), not through `victim`. */
  removed(s: number): void;
  /** Picks and unlinks a slot to reuse among those `evictable` accepts; -1 when none is. */
  victim(evictable: (s: number) => boolean): number;
}

export function makePolicy(name: EvictionPolicyName, slots: number): EvictionPolicy {
  return name === 'lru' ? new LruPolicy(slots) : new S3FifoPolicy(slots);
}

export class LruPolicy implements EvictionPolicy {
  readonly name = 'lru' as const;
  private readonly list: SlotList;

  constructor(slots: number) {
    this.list = new SlotList(new SlotLinks(slots), 0);
  }

  inserted(s: number): void { this.list.pushHead(s); }
  accessed(s: number): void { this.list.toHead(s); }
  removed(s: number): void { this.list.remove(s); }

  victim(evictable: (s: number) => boolean): number {
    for (let s = this.list.tail; s >= 0; s = this.list.newer(s)) {
      if (evictable(s)) { this.list.remove(s); return s; }
    }
    return -1;
  }
}

const MAX_FREQ = 3;

export class S3FifoPolicy implements EvictionPolicy {
  readonly name = 's3-fifo' as const;
  private readonly small: SlotList;
  private readonly main: SlotList;
  private readonly freq: Uint8Array;
  private readonly blockOf: Float64Array;
  private readonly smallTarget: number;
  /** Ghost FIFO: a ring of evicted block numbers; the map holds each one's insertion count. */
  private readonly ghostRing: Float64Array;
  private readonly ghost = new Map<number, number>();
  private ghostSeq = 0;

  constructor(private readonly slots: number) {
    const links = new SlotLinks(slots);
    this.small = new SlotList(links, 0);
    this.main = new SlotList(links, 1);
    this.freq = new Uint8Array(slots);
    this.blockOf = new Float64Array(slots);
    this.smallTarget = Math.max(1, Math.floor(slots / 10));
    this.ghostRing = new Float64Array(Math.max(1, slots - this.smallTarget));
  }

  inserted(s: number, block: number): void {
    this.freq[s] = 0;
    this.blockOf[s] = block;
    if (this.ghost.has(block)) {
      this.ghost.delete(block);
      this.main.pushHead(s);
    } else this.small.pushHead(s);
  }

  accessed(s: number): void {
    if (this.freq[s]! < MAX_FREQ) this.freq[s]!++;
  }

  removed(s: number): void {
    this.small.remove(s);
    this.main.remove(s);
  }

  victim(evictable: (s: number) => boolean): number {
    // Each pass either evicts or moves/ages one block; 4 rounds over every slot bound the work
    // even when nothing is evictable (every count decays to 0 within MAX_FREQ rounds).
    for (let budget = 4 * this.slots + 4; budget > 0; budget--) {
      if (this.small.size > this.smallTarget || this.main.size === 0) {
        const s = this.small.tail;
        if (s < 0) return -1;
        this.small.remove(s);
        if (this.freq[s]! > 0 || !evictable(s)) {
          // Used again while on probation (or not evictable now): it joins the main FIFO.
          this.freq[s] = 0;
          this.main.pushHead(s);
          continue;
        }
        this.remember(this.blockOf[s]!);
        return s;
      }
      const s = this.main.tail;
      this.main.remove(s);
      if (this.freq[s]! > 0 || !evictable(s)) {
        if (this.freq[s]! > 0) this.freq[s]!--;
        this.main.pushHead(s);
        continue;
      }
      return s;
    }
    return -1;
  }

  private remember(block: number): void {
    const n = this.ghostRing.length;
    const at = this.ghostSeq % n;
    if (this.ghostSeq >= n) {
      const old = this.ghostRing[at]!;
      if (this.ghost.get(old) === this.ghostSeq - n) this.ghost.delete(old);
    }
    this.ghostRing[at] = block;
    this.ghost.set(block, this.ghostSeq);
    this.ghostSeq++;
  }
}
