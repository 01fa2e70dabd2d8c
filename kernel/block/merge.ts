/**
 * Bio → request merging: a bio joins a request still waiting (in a plug or the scheduler) when
 * it is adjacent — back merge (request ends where the bio starts) or front merge (bio ends where
 * the request starts) — has the same op, carries no flag that forbids merging, and the result
 * stays within max_sectors and max_segments. Waiting requests are indexed by start and end
 * sector per op (SectorMap: nothing allocated per request), so finding a partner is two lookups.
 */
import type { Bugs } from '../../hw-sim/engine/bugs.ts';
import type { Bio } from './bio.ts';
import { RQ_STATE, type Request } from './request.ts';
import { SectorMap } from './sector-map.ts';
import { REQ_NOMERGE_FLAGS, REQ_OP, type QueueLimits } from './types.ts';

export const MERGE_NONE = 0;
export const MERGE_BACK = 1;
export const MERGE_FRONT = 2;

export class MergeIndex {
  /** [READ, WRITE] maps: end sector → request, start sector → request. */
  private readonly byEnd = [new SectorMap(), new SectorMap()];
  private readonly byStart = [new SectorMap(), new SectorMap()];

  constructor(
    private readonly limits: QueueLimits,
    private readonly bugs: Bugs | null = null,
    /** A front merge moved a request's start: its scheduler re-sorts it. */
    private readonly repositioned: (rq: Request) => void = () => {},
  ) {}

  /** Adds a waiting request if it may take merges. */
  add(rq: Request): void {
    if (!mergeableRq(rq)) return;
    this.byEnd[rq.op]!.set(rq.endSector, rq);
    this.byStart[rq.op]!.set(rq.sector, rq);
  }

  /** Drops a request that stops waiting (dispatched). */
  remove(rq: Request): void {
    if (!mergeableRq(rq)) return;
    this.byEnd[rq.op]!.deleteIf(rq.endSector, rq);
    this.byStart[rq.op]!.deleteIf(rq.sector, rq);
  }

  /** Tries to merge `bio` into a waiting request; returns the kind of merge done. */
  tryMerge(bio: Bio): number {
    if (!mergeableBio(bio)) return MERGE_NONE;
    const sectors = bio.sectors;
    const back = this.byEnd[bio.op]!.get(bio.sector);
    if (back && this.fits(back, sectors)) {
      // Injected: the bio is reported merged and completed, but never joins the request.
      if (this.bugs?.has('merge-drops-bio')) { bio.endIo?.(bio); return MERGE_BACK; }
      this.byEnd[bio.op]!.delete(back.endSector);
      back.bios[back.nrBios++] = bio;
      back.nrSectors += sectors;
      this.byEnd[bio.op]!.set(back.endSector, back);
      return MERGE_BACK;
    }
    const front = this.byStart[bio.op]!.get(bio.endSector);
    if (front && this.fits(front, sectors)) {
      this.byStart[bio.op]!.delete(front.sector);
      for (let i = front.nrBios; i > 0; i--) front.bios[i] = front.bios[i - 1]!;
      front.bios[0] = bio;
      front.nrBios++;
      front.sector = bio.sector;
      front.nrSectors += sectors;
      this.byStart[bio.op]!.set(front.sector, front);
      this.repositioned(front);
      return MERGE_FRONT;
    }
    return MERGE_NONE;
  }

  private fits(rq: Request, sectors: number): boolean {
    return (
      rq.state === RQ_STATE.QUEUED &&
      rq.nrBios < this.limits.maxSegments &&
      rq.nrSectors + sectors <= this.limits.maxSectors
    );
  }
}

function mergeableBio(bio: Bio): boolean {
  return (bio.op === REQ_OP.READ || bio.op === REQ_OP.WRITE) && (bio.flags & REQ_NOMERGE_FLAGS) === 0 && bio.seqSteps === 0;
}

function mergeableRq(rq: Request): boolean {
  return (rq.op === REQ_OP.READ || rq.op === REQ_OP.WRITE) && (rq.flags & REQ_NOMERGE_FLAGS) === 0 && rq.flushOwner === null;
}
