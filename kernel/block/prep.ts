/**
 * Turning a bio into requests: validation against the queue limits, the flush plan for
 * PREFLUSH/FUA writes and flushes (PREFLUSH → DATA → POSTFLUSH, as the kernel's flush state
 * machine), and filling a preallocated request for the bio's next step.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import { EINVAL, EIO, EOPNOTSUPP } from '../lib/errno.ts';
import type { Bio } from './bio.ts';
import { FLUSH_STEP, RQ_STATE, type Request } from './request.ts';
import { REQ_FUA, REQ_OP, REQ_PREFLUSH, SECTOR_SIZE, type QueueLimits } from './types.ts';

/** 0 when the queue can take the bio, else the errno to end it with. */
export function checkBio(l: QueueLimits, capacitySectors: number, bio: Bio): number {
  if (bio.op === REQ_OP.DISCARD && !l.discard) return EOPNOTSUPP;
  if (bio.op === REQ_OP.WRITE_ZEROES && !l.writeZeroes) return EOPNOTSUPP;
  if (bio.op === REQ_OP.FLUSH) return 0;
  if (bio.bytes <= 0 || bio.bytes % l.logicalBlockSize !== 0 || (bio.sector * SECTOR_SIZE) % l.logicalBlockSize !== 0) return EINVAL;
  if (bio.sector < 0 || bio.endSector > capacitySectors) return EIO;
  if ((bio.op === REQ_OP.READ || bio.op === REQ_OP.WRITE) && (!bio.data || bio.data.length < bio.bytes)) return EINVAL;
  return 0;
}

/**
 * The flush steps a bio needs (FLUSH_STEP bits; 0 for a plain request), or -1 for a flush
 * that has nothing to do (no volatile cache) and completes at once.
 */
export function flushPlan(l: QueueLimits, bio: Bio): number {
  if (bio.op === REQ_OP.FLUSH) return l.writeCache ? FLUSH_STEP.PRE : -1;
  if (bio.op !== REQ_OP.WRITE || !l.writeCache || (bio.flags & (REQ_PREFLUSH | REQ_FUA)) === 0) return 0;
  return FLUSH_STEP.DATA | (bio.flags & REQ_PREFLUSH ? FLUSH_STEP.PRE : 0) | (bio.flags & REQ_FUA && !l.fua ? FLUSH_STEP.POST : 0);
}

/** Fills `rq` for the next pending step of `bio` (the whole bio when it has no flush plan). */
export function initRequest(rq: Request, bio: Bio, l: QueueLimits, id: number, now: Ns): void {
  const steps = bio.seqSteps;
  const step = steps & -steps; // lowest pending step
  rq.id = id;
  rq.cpu = bio.cpu;
  rq.errno = 0;
  rq.startNs = bio.submitNs;
  rq.queuedNs = now;
  rq.dispatchedNs = -1;
  rq.requeues = 0;
  rq.timeouts = 0;
  rq.flushOwner = step !== 0 ? bio : null;
  rq.flushStep = step;
  if (step === FLUSH_STEP.PRE || step === FLUSH_STEP.POST) {
    rq.op = REQ_OP.FLUSH;
    rq.flags = 0;
    rq.sector = 0;
    rq.nrSectors = 0;
    rq.nrBios = 0;
  } else {
    rq.op = bio.op;
    // PREFLUSH became its own request (or there is no cache); FUA goes down only if honoured.
    rq.flags = bio.flags & ~REQ_PREFLUSH & (l.writeCache && l.fua ? ~0 : ~REQ_FUA);
    rq.sector = bio.sector;
    rq.nrSectors = bio.sectors;
    rq.bios[0] = bio;
    rq.nrBios = 1;
  }
  rq.state = RQ_STATE.QUEUED;
}
