/**
 * The order of a mirror's writes. Overlapping writes reach every replica in the same order only
 * if the second waits for the first to be acknowledged everywhere: legs travel on different
 * connections, and replicas that applied two overlapping writes in different orders would differ
 * for good. And the resync's copy of a region (md's resync barrier) is fenced: writes to it issued
 * meanwhile wait, so a copy of a hot region is not overtaken by the writes it would keep missing.
 *
 * Per region it also counts the writes in flight (`busy`) and bumps a generation at every start
 * and end (`gen`): a copy whose region's generation moved may be stale.
 */
import type { NbdCmd } from '../request.ts';
import { regionsOf } from './replica.ts';

export class WriteGate {
  readonly busy = new Map<number, number>();
  readonly gen = new Map<number, number>();
  /** Writes sent to the replicas and not yet resolved. */
  private readonly inFlight = new Set<NbdCmd>();
  /** Regions the resync is copying (count of copies), and the writes waiting, in order. */
  private readonly fenced = new Map<number, number>();
  private readonly deferred: { parent: NbdCmd; tag: number }[] = [];
  private releasing = false;
  private releaseAgain = false;
  /** A fenced region's last write in flight ended. */
  private drained = false;

  constructor(
    private readonly regionBytes: number,
    /** Sends a write that may go now. */
    private readonly send: (parent: NbdCmd, tag: number) => void,
    /** A fenced region has no write in flight any more (its copy can start). */
    private readonly onDrained: () => void,
    /** Injected mirror-overlapping-writes-unordered: overlap does not make a write wait. */
    private readonly unordered = false,
  ) {}

  /** Whether `parent` may go now; if not it waits and `send` gets it later. */
  admit(parent: NbdCmd, tag: number): boolean {
    if (!this.blocked(parent, this.deferred.length)) return true;
    this.deferred.push({ parent, tag });
    return false;
  }

  /** Raised only on a region with no write in flight (the resync checks `busy` first, or waits). */
  fence(g: number): void {
    this.fenced.set(g, (this.fenced.get(g) ?? 0) + 1);
  }

  unfence(g: number): void {
    const n = (this.fenced.get(g) ?? 1) - 1;
    if (n > 0) { this.fenced.set(g, n); return; }
    this.fenced.delete(g);
    this.release();
  }

  started(w: NbdCmd): void {
    this.inFlight.add(w);
    const [a, b] = regionsOf(w.offset, w.length, this.regionBytes);
    for (let g = a; g <= b; g++) { this.busy.set(g, (this.busy.get(g) ?? 0) + 1); this.gen.set(g, (this.gen.get(g) ?? 0) + 1); }
  }

  /** A write resolved (acknowledged or failed): the writes it held back may go. */
  ended(w: NbdCmd): void {
    this.inFlight.delete(w);
    const [a, b] = regionsOf(w.offset, w.length, this.regionBytes);
    for (let g = a; g <= b; g++) {
      const n = (this.busy.get(g) ?? 1) - 1;
      if (n === 0) { this.busy.delete(g); if (this.fenced.has(g)) this.drained = true; } else this.busy.set(g, n);
      this.gen.set(g, (this.gen.get(g) ?? 0) + 1);
    }
    if (this.deferred.length > 0) this.release();
    if (this.drained) { this.drained = false; this.onDrained(); }
  }

  /** It overlaps a fenced region, a write in flight, or one waiting before it (index `before`). */
  private blocked(r: NbdCmd, before: number): boolean {
    if (this.fenced.size > 0) {
      const [a, b] = regionsOf(r.offset, r.length, this.regionBytes);
      for (let g = a; g <= b; g++) if (this.fenced.has(g)) return true;
    }
    if (this.unordered) return false;
    const end = r.offset + r.length;
    for (const p of this.inFlight) if (p !== r && p.offset < end && r.offset < p.offset + p.length) return true;
    for (let i = 0; i < before; i++) {
      const p = this.deferred[i]!.parent;
      if (p.offset < end && r.offset < p.offset + p.length) return true;
    }
    return false;
  }

  /** Sends the waiting writes nothing blocks any more, in their order. */
  private release(): void {
    if (this.releasing) { this.releaseAgain = true; return; }
    this.releasing = true;
    do {
      this.releaseAgain = false;
      for (let i = 0; i < this.deferred.length;) {
        const d = this.deferred[i]!;
        if (this.blocked(d.parent, i)) { i++; continue; }
        this.deferred.splice(i, 1);
        this.send(d.parent, d.tag);
      }
    } while (this.releaseAgain);
    this.releasing = false;
  }
}
