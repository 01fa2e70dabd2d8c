import type { Ns } from '../../../hw-sim/engine/time.ts';
import type { Request } from '../request.ts';
import type { SchedulerName } from '../types.ts';

/** An I/O scheduler instance of one hardware queue (elevator). */
export interface IoScheduler {
  readonly name: SchedulerName;
  /** Requests held. */
  readonly count: number;
  insert(rq: Request, now: Ns): void;
  /** Removes and returns the next request to dispatch, or null when empty. */
  dispatch(now: Ns): Request | null;
  /** A held request's start sector moved (front merge): keep the sort order right. */
  repositioned(rq: Request): void;
}
