/**
 * One replica of a mirror device, as the driver tracks it: whether it holds every acknowledged
 * write (in sync), and if not, which regions it may be missing (the dirty bitmap). A region is
 * `regionBytes` of the export; the bitmap is a Set of region indices (insertion order: the
 * resync copies the oldest dirt first, deterministically).
 */

export type ReplicaState = 'in-sync' | 'out-of-sync' | 'resyncing';

export class Replica {
  state: ReplicaState = 'in-sync';
  /** Regions this replica may be missing; non-empty only when not in sync. */
  readonly dirty = new Set<number>();
  /**
   * Regions it acknowledged writes for since its last completed FLUSH, with the sequence number
   * of the last such acknowledgement: a crash of its host may lose them, so they join the dirty
   * bitmap when it drops out.
   */
  readonly unflushed = new Map<number, number>();
  /** Bytes the resync copied to it; regions copied. */
  resyncedBytes = 0;
  resyncedRegions = 0;
  /** Times it dropped out of sync; times it came back in sync. */
  dropouts = 0;
  rejoins = 0;
  /** Why it last dropped out. */
  lastReason = '';
  /** Dirty regions when the current resync began (for progress). */
  resyncTotal = 0;

  constructor(readonly server: number) {}

  /**
   * When each dirty region stopped being held here (the mirror's stamp): when no replica holds a
   * region any more, the one that held it last has the newest acknowledged content.
   */
  readonly dirtiedAt = new Map<number, number>();

  /** Marks [offset, offset + length) dirty (`stamp`: the mirror's counter, kept from the first marking). */
  markDirty(offset: number, length: number, regionBytes: number, stamp = 0): void {
    const last = Math.max(offset, offset + length - 1);
    for (let g = Math.floor(offset / regionBytes); g <= Math.floor(last / regionBytes); g++) this.mark(g, stamp);
  }

  /**
   * Dirty regions it had acknowledged writes to, not flushed, when it dropped out: its host may
   * have crashed and lost them, so its copy is no one's to trust (Mirror.adopt).
   */
  readonly suspect = new Set<number>();

  /** Dirty regions its host's restart lost (they were suspect): never its copy to adopt. */
  readonly lost = new Set<number>();

  mark(g: number, stamp: number, suspect = false): void {
    // Missing a write there (or one in flight) is more than a possible crash loss.
    if (!suspect) this.suspect.delete(g);
    if (this.dirty.has(g)) return;
    this.dirty.add(g);
    this.dirtiedAt.set(g, stamp);
    if (suspect) this.suspect.add(g);
  }

  /**
   * The server instance it last answered as (`boot=` token of its export description; undefined
   * when it names none), null before its first connection.
   */
  boot: string | undefined | null = null;

  /**
   * It answered again: as the same instance, its host did not restart and its disk kept what it
   * had not flushed (the suspect regions hold every acknowledged write); as another, or a server
   * that names no instance, those may be lost.
   */
  answered(boot: string | undefined): 'same' | 'restarted' | 'first' {
    const was = this.boot;
    this.boot = boot;
    if (was === null) return 'first';
    // Restarted (or unknown): what was suspect is lost for good (a later answer cannot clear it).
    if (was !== boot || boot === undefined) { this.restarted(); return 'restarted'; }
    // Held again, but still only in its volatile cache: a later loss makes them suspect again.
    for (const g of this.suspect) { this.clean(g); this.unflushed.set(g, 0); }
    return 'same';
  }

  /** Its host restarted: the suspect regions are lost. */
  restarted(): void {
    for (const g of this.suspect) this.lost.add(g);
    this.suspect.clear();
  }

  /** Region `g` holds every acknowledged write again. */
  clean(g: number): void {
    this.dirty.delete(g);
    this.dirtiedAt.delete(g);
    this.suspect.delete(g);
    this.lost.delete(g);
  }

  /** Resync progress in [0, 1] (1 when in sync). */
  get progress(): number {
    if (this.state === 'in-sync') return 1;
    if (this.resyncTotal === 0) return 0;
    return Math.max(0, Math.min(1, 1 - this.dirty.size / this.resyncTotal));
  }
}

/** Region indices an extent covers (a zero-length command covers none). */
export function regionsOf(offset: number, length: number, regionBytes: number): [first: number, last: number] {
  if (length === 0) return [0, -1];
  return [Math.floor(offset / regionBytes), Math.floor((offset + length - 1) / regionBytes)];
}
