/** What a hardware queue calls back in its request queue (RequestQueue is one). */
export interface HctxOwner extends RequestEnds {
  runHwQueue(h: HwQueue): void;
  kick(h: HwQueue): void;
}

/**
 * A hardware dispatch queue (blk_mq_hw_ctx): its preallocated requests, its driver tags, its
 * I/O scheduler instance, the dispatch list for busy retries and requeues, and the bios waiting
 * for a free request.
 *
 * Two tag levels, as in blk-mq: with `none` a request takes its driver tag when allocated (pool
 * size = queue depth); with a scheduler the pool holds `nrRequests` scheduler requests and a
 * driver tag is taken only at dispatch, so the scheduler has more than `depth` requests to sort
 * while the driver never sees more than `depth` at once.
 */
import type { Bio } from './bio.ts';
import { Deque } from '../lib/deque.ts';
import { Request, type RequestEnds } from './request.ts';
import type { IoScheduler } from './sched/scheduler.ts';

export class HwQueue {
  readonly rqs: Request[] = [];
  private readonly freeRqs: number[] = [];
  private readonly tagRqs: (Request | null)[];
  private readonly freeTags: number[] = [];
  /** Driver tags are taken with the request (scheduler `none`). */
  readonly sharedTags: boolean;
  readonly dispatchList = new Deque<Request>(32);
  readonly waiters = new Deque<Bio>(32);
  tagsInUse = 0;
  maxTagsInUse = 0;
  /** Requests the driver owns now. */
  inflight = 0;
  dispatched = 0;
  running = false;
  rerun = false;
  stopped = false;
  /** A BUSY is outstanding: only a completion or the retry timer restarts dispatch. */
  busyWait = false;
  retryPending = false;
  kickPending = false;
  /** Driver-private per-queue data (hctx->driver_data). */
  driverData: unknown = null;
  readonly retryFn: () => void;
  readonly kickFn: () => void;

  constructor(
    readonly q: HctxOwner,
    readonly index: number,
    readonly depth: number,
    poolSize: number,
    maxSegments: number,
    readonly sched: IoScheduler,
  ) {
    this.sharedTags = sched.name === 'none';
    this.tagRqs = new Array<Request | null>(depth).fill(null);
    // Stacks popped from the end: push in reverse so the lowest index comes out first.
    for (let i = depth - 1; i >= 0; i--) this.freeTags.push(i);
    for (let i = 0; i < poolSize; i++) this.rqs.push(new Request(q, index, i, maxSegments));
    for (let i = poolSize - 1; i >= 0; i--) this.freeRqs.push(i);
    this.retryFn = () => {
      this.retryPending = false;
      this.busyWait = false;
      q.runHwQueue(this);
    };
    this.kickFn = () => {
      this.kickPending = false;
      this.busyWait = false;
      q.runHwQueue(this);
    };
  }

  get freeTagCount(): number {
    return this.freeTags.length;
  }

  get freeRqCount(): number {
    return this.freeRqs.length;
  }

  /** Request owning driver tag `tag` (blk_mq_tag_to_rq), or null. */
  tagToRq(tag: number): Request | null {
    return this.tagRqs[tag] ?? null;
  }

  /** Takes a free request (and, with `none`, its driver tag); null when the pool is empty. */
  allocRq(): Request | null {
    const i = this.freeRqs.pop();
    if (i === undefined) return null;
    const rq = this.rqs[i]!;
    if (this.sharedTags) this.getDriverTag(rq);
    return rq;
  }

  /** Gives a driver tag to `rq`; false when all `depth` tags are in use. */
  getDriverTag(rq: Request): boolean {
    if (rq.tag >= 0) return true;
    const t = this.freeTags.pop();
    if (t === undefined) return false;
    rq.tag = t;
    this.tagRqs[t] = rq;
    this.tagsInUse++;
    if (this.tagsInUse > this.maxTagsInUse) this.maxTagsInUse = this.tagsInUse;
    return true;
  }

  /**
   * Gives back a driver tag of a request that goes back to waiting (BUSY, requeue), as
   * blk-mq does: otherwise a requeued request could hold the last tag while the request ahead
   * of it on the dispatch list waits for one. With `none` the tag belongs to the request.
   */
  putDriverTag(rq: Request): void {
    if (!this.sharedTags) this.releaseTag(rq);
  }

  /** Returns the request (and its driver tag) to the pools. */
  freeRq(rq: Request): void {
    this.releaseTag(rq);
    this.freeRqs.push(rq.index);
  }

  private releaseTag(rq: Request): void {
    if (rq.tag < 0) return;
    this.tagRqs[rq.tag] = null;
    this.freeTags.push(rq.tag);
    this.tagsInUse--;
    rq.tag = -1;
  }

  /** Work waiting to be dispatched. */
  get hasWork(): boolean {
    return this.dispatchList.length > 0 || this.sched.count > 0;
  }
}
