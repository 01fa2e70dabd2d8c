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

  /** Marks [offset, offset + length) dirty. */
  markDirty(offset: number, length: number, regionBytes: number): void {
    const last = Math.max(offset, offset + length - 1);
    for (let g = Math.floor(offset / regionBytes); g <= Math.floor(last / regionBytes); g++) this.dirty.add(g);
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
