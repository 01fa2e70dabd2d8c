/**
 * The request queue of one disk (blk-mq): bio submission (flush sequencing, merging, plugging,
 * request allocation with tag waits), dispatch to the driver with BUSY retry, completion through
 * the BLOCK softirq, requeue and timeouts. Every request stage is stamped and traced.
 */
import { formatNs, type Ns } from '../../hw-sim/engine/time.ts';
import type { Counter } from '../core/stats.ts';
import { EIO, ENXIO, ETIMEDOUT } from '../lib/errno.ts';
import { checkBio, flushPlan, initRequest } from './prep.ts';
import type { Bio } from './bio.ts';
import { BlkStats } from './blk-stats.ts';
import { HwQueue } from './hw-queue.ts';
import { MERGE_BACK, MERGE_NONE, MergeIndex } from './merge.ts';
import { RQ_STATE, type Request } from './request.ts';
import { MqDeadlineScheduler } from './sched/mq-deadline.ts';
import { NoneScheduler } from './sched/none.ts';
import type { IoScheduler } from './sched/scheduler.ts';
import { RqTimeouts } from './timeout.ts';
import type { BlkPlug, BlockHost, QueueConfig } from './queue-config.ts';
import type { BlkMqOps } from './mq-ops.ts';
import { BLK_EH, BLK_STS, REQ_FUA, REQ_OP, REQ_OP_NAMES, type QueueLimits } from './types.ts';
import { traceShape, traceSource, type TraceSource } from '../../hw-sim/engine/trace.ts';

const TRACE_QUEUE = traceShape('rq.queue', ['rq', 'op', 'sector', 'sectors', 'flags', 'hctx', 'cpu']);
const TRACE_DISPATCH = traceShape('rq.dispatch', ['rq', 'tag', 'hctx']);
const TRACE_ISSUE = traceShape('rq.issue', ['rq', 'tag', 'gen', 'sector', 'sectors', 'last']);
const TRACE_COMPLETE = traceShape('rq.complete', ['rq', 'tag', 'op', 'err', 'start', 'queued', 'dispatched', 'issued', 'completed']);

export type { BlkPlug, BlockHost, QueueConfig } from './queue-config.ts';

const PLUG_MAX = 32;

export class RequestQueue {
  readonly name: string;
  readonly ops: BlkMqOps;
  readonly limits: QueueLimits;
  readonly hctxs: HwQueue[] = [];
  /** Software queue (CPU) → hardware queue index. */
  readonly cpuToHctx: number[] = [];
  readonly stats: BlkStats;
  capacitySectors: number;
  /** Per-request timeout; 0 turns timeouts off. May be changed at any time (new issues use it). */
  timeoutNs: Ns;
  busyRetryNs: Ns;
  dead = false;
  /**
   * Told each time the driver takes a request (queue_rq answered OK; blk_mq_start_request's
   * block_rq_issue tracepoint): the history tap's FLUSH-order check reads the driver's order here.
   */
  onStarted: ((rq: Request) => void) | null = null;
  /** Bios submitted per software queue (CPU). */
  private readonly ctxSubmitted: Counter[] = [];
  private readonly merges: MergeIndex;
  private readonly timeouts: RqTimeouts;
  private readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;

  constructor(private readonly k: BlockHost, cfg: QueueConfig) {
    this.name = cfg.name;
    this.ops = cfg.ops;
    this.limits = cfg.limits;
    this.capacitySectors = cfg.capacitySectors;
    this.timeoutNs = cfg.timeoutNs;
    this.busyRetryNs = cfg.busyRetryNs;
    this.src = `${k.host}/blk/${cfg.name}`;
    this.traceSrc = traceSource(this.src);
    this.merges = new MergeIndex(cfg.limits, k.engine.bugs, (rq) => this.hctxs[rq.hctxIndex]!.sched.repositioned(rq));
    this.stats = new BlkStats(k.stats, `block/${cfg.name}`);
    for (let i = 0; i < cfg.nrHwQueues; i++) {
      const sched: IoScheduler = cfg.scheduler === 'mq-deadline' ? new MqDeadlineScheduler(cfg.deadline) : new NoneScheduler();
      const pool = cfg.scheduler === 'none' ? cfg.queueDepth : Math.max(cfg.nrRequests, cfg.queueDepth);
      const h = new HwQueue(this, i, cfg.queueDepth, pool, cfg.limits.maxSegments, sched);
      if (cfg.ops.initRequest) for (const rq of h.rqs) cfg.ops.initRequest(rq);
      this.hctxs.push(h);
    }
    for (let c = 0; c < k.cores; c++) {
      this.cpuToHctx.push(c % cfg.nrHwQueues);
      this.ctxSubmitted.push(k.stats.counter(`block/${cfg.name}/cpu/${c}/submitted`));
    }
    this.timeouts = new RqTimeouts((fn, l) => k.timer(fn, l), `${cfg.name}/rq-timeout`, k.engine, this.hctxs, (rq) => this.handleTimeout(rq));
  }

  // ---- submission ------------------------------------------------------------------------

  /** submit_bio from `cpu`, optionally into a plug. The bio ends through its endIo. */
  submitBio(bio: Bio, cpu: number, plug: BlkPlug | null = null): void {
    const hq = this.cpuToHctx[cpu];
    if (hq === undefined) throw new RangeError(`${this.src}: bio submitted from cpu ${cpu}, which this host does not have`);
    this.ctxSubmitted[cpu]!.value++;
    bio.submitNs = this.k.engine.now;
    bio.status = 0;
    bio.cpu = cpu;
    const err = this.dead ? ENXIO : checkBio(this.limits, this.capacitySectors, bio);
    if (err !== 0) return this.endBioLater(bio, err);
    const plan = flushPlan(this.limits, bio);
    if (plan < 0) return this.endBioLater(bio, 0); // nothing volatile to flush
    if (bio.op === REQ_OP.FLUSH && this.k.engine.bugs.has('blk-flush-skipped')) return this.endBioLater(bio, 0); // injected
    bio.seqSteps = plan;
    const merged = this.merges.tryMerge(bio);
    if (merged !== MERGE_NONE) {
      if (merged === MERGE_BACK) this.stats.mergesBack.value++;
      else this.stats.mergesFront.value++;
      const tr = this.k.engine.trace;
      if (tr.enabled) tr.emit(this.src, 'bio.merge', { kind: merged === MERGE_BACK ? 'back' : 'front', sector: bio.sector, bytes: bio.bytes });
      return;
    }
    this.startBio(this.hctxs[hq]!, bio, plug);
  }

  startPlug(): BlkPlug {
    return { list: [] };
  }

  /** blk_finish_plug: hands the plugged requests to the schedulers and runs the queues. */
  finishPlug(plug: BlkPlug): void {
    const list = plug.list;
    if (list.length === 0) return;
    for (let i = 0; i < list.length; i++) this.insert(list[i]!);
    list.length = 0;
    for (const h of this.hctxs) if (h.hasWork) this.runHwQueue(h);
  }

  /** Gets a request for the next step of `bio`, or parks the bio until one frees. */
  private startBio(h: HwQueue, bio: Bio, plug: BlkPlug | null): void {
    if (this.dead) return this.endBioLater(bio, ENXIO);
    const rq = h.allocRq();
    if (!rq) {
      // A submitter about to sleep flushes its plug (blk_flush_plug on schedule): the plugged
      // requests hold tags, and only their completion can free one.
      if (plug && plug.list.length > 0) this.finishPlug(plug);
      this.stats.tagWaits.value++;
      h.waiters.pushBack(bio);
      return;
    }
    this.initRq(rq, bio);
    if (plug) {
      plug.list.push(rq);
      this.merges.add(rq);
      if (plug.list.length >= PLUG_MAX) this.finishPlug(plug);
      return;
    }
    // Straight to the driver (scheduler `none`, nothing ahead of it, the queue idle): dispatch
    // would take it out of the merge index before any bio could merge, so it never goes in.
    const direct = h.sharedTags && !h.running && !h.stopped && !h.busyWait && !h.hasWork;
    // Issued directly (blk_mq_try_issue_directly): with `none` and nothing queued, the trip
    // through the scheduler's FIFO would hand back this very request.
    if (direct && rq.op !== REQ_OP.FLUSH) return this.runHwQueue(h, rq);
    this.insert(rq, !direct);
    this.runHwQueue(h);
  }

  private initRq(rq: Request, bio: Bio): void {
    initRequest(rq, bio, this.limits, this.k.nextRequestId(), this.k.engine.now);
    if (this.k.engine.bugs.has('blk-fua-dropped')) rq.flags &= ~REQ_FUA; // injected: FUA lost on the way down
    const tr = this.k.engine.trace;
    if (tr.enabled) TRACE_QUEUE.emit(tr, this.traceSrc, rq.id, REQ_OP_NAMES[rq.op], rq.sector, rq.nrSectors, rq.flags, rq.hctxIndex, rq.cpu);
  }

  /** Into the scheduler (or straight onto the dispatch list for flushes); `indexed`: may take merges meanwhile. */
  private insert(rq: Request, indexed = true): void {
    const h = this.hctxs[rq.hctxIndex]!;
    if (rq.op === REQ_OP.FLUSH) {
      this.merges.remove(rq);
      rq.state = RQ_STATE.DISPATCH;
      h.dispatchList.pushBack(rq);
      return;
    }
    h.sched.insert(rq, this.k.engine.now);
    if (indexed) this.merges.add(rq);
  }

  // ---- dispatch --------------------------------------------------------------------------

  /**
   * blk_mq_run_hw_queue: issues waiting requests until the driver is full or says BUSY; `first`
   * (startBio's direct issue, queue idle) goes before them, taken from no list.
   */
  runHwQueue(h: HwQueue, first: Request | null = null): void {
    if (h.running) {
      h.rerun = true;
      return;
    }
    if (h.stopped || h.busyWait) return;
    h.running = true;
    let pendingCommit = false;
    do {
      h.rerun = false;
      for (;;) {
        let rq: Request | undefined;
        if (first !== null) {
          rq = first;
          first = null;
        } else {
          rq = h.dispatchList.peekFront();
          if (rq) {
            if (!h.getDriverTag(rq)) break;
            h.dispatchList.popFront();
          } else {
            if (h.sched.count === 0 || (!h.sharedTags && h.freeTagCount === 0)) break;
            rq = h.sched.dispatch(this.k.engine.now) ?? undefined;
            if (!rq) break;
            this.merges.remove(rq);
            h.getDriverTag(rq);
          }
        }
        const last = h.dispatchList.length === 0 && (h.sched.count === 0 || (!h.sharedTags && h.freeTagCount === 0));
        const sts = this.issue(h, rq, last);
        if (sts === BLK_STS.BUSY) break;
        if (sts === BLK_STS.OK) pendingCommit = !last;
      }
    } while (h.rerun && !h.busyWait && !h.stopped);
    h.running = false;
    if (pendingCommit && this.ops.commitRqs) this.ops.commitRqs(h);
  }

  private issue(h: HwQueue, rq: Request, last: boolean): number {
    const now = this.k.engine.now;
    const tr = this.k.engine.trace;
    if (rq.dispatchedNs < 0) {
      rq.dispatchedNs = now;
      if (tr.enabled) TRACE_DISPATCH.emit(tr, this.traceSrc, rq.id, rq.tag, h.index);
    }
    rq.state = RQ_STATE.INFLIGHT;
    rq.issuedNs = now;
    rq.gen++;
    h.inflight++;
    h.dispatched++;
    if (this.timeoutNs > 0) {
      rq.deadlineNs = now + this.timeoutNs;
      this.timeouts.watch(rq);
    } else {
      rq.deadlineNs = Number.MAX_SAFE_INTEGER; // timeouts off
    }
    if (tr.enabled) TRACE_ISSUE.emit(tr, this.traceSrc, rq.id, rq.tag, rq.gen, rq.sector, rq.nrSectors, last); // op, flags: in rq.queue
    const sts = this.ops.queueRq(h, rq, last);
    if (sts === BLK_STS.OK) {
      // Not when the driver already ended it (the request may then carry another bio already).
      if (this.onStarted !== null && rq.state >= RQ_STATE.INFLIGHT) this.onStarted(rq);
      return sts;
    }
    if (sts === BLK_STS.BUSY) {
      if (tr.enabled) tr.emit(this.src, 'rq.busy', { rq: rq.id, tag: rq.tag });
      if (rq.state === RQ_STATE.INFLIGHT) {
        rq.state = RQ_STATE.DISPATCH;
        h.inflight--;
        h.putDriverTag(rq);
        h.dispatchList.pushFront(rq);
      }
      this.stats.busy.value++;
      h.busyWait = true;
      if (!h.retryPending) {
        h.retryPending = true;
        this.k.engine.schedule(this.busyRetryNs, h.retryFn, 'blk.busy-retry');
      }
      return sts;
    }
    // Ended through the softirq like any completion: a submitter that retries from endIo then
    // cannot spin inside one instant against a driver that refuses everything.
    if (rq.state === RQ_STATE.INFLIGHT) this.complete(rq, EIO);
    return BLK_STS.ERROR;
  }

  // ---- completion ------------------------------------------------------------------------

  /** blk_mq_complete_request: the driver is done; the end runs in the BLOCK softirq. */
  complete(rq: Request, errno: number): boolean {
    if (rq.state !== RQ_STATE.INFLIGHT) {
      this.stats.stale.value++;
      const tr = this.k.engine.trace;
      if (tr.enabled) tr.emit(this.src, 'rq.stale', { rq: rq.id, state: rq.state });
      return false;
    }
    rq.state = RQ_STATE.COMPLETING;
    rq.errno = errno;
    rq.completedNs = this.k.engine.now;
    this.hctxs[rq.hctxIndex]!.inflight--;
    this.k.raiseBlockCompletion(rq);
    return true;
  }

  /** blk_mq_requeue_request: the driver gives an in-flight request back to be issued again. */
  requeue(rq: Request, kick = true): boolean {
    if (rq.state !== RQ_STATE.INFLIGHT) return false;
    const h = this.hctxs[rq.hctxIndex]!;
    rq.state = RQ_STATE.DISPATCH;
    h.inflight--;
    rq.requeues++;
    this.stats.requeues.value++;
    const tag = rq.tag;
    h.putDriverTag(rq);
    h.dispatchList.pushBack(rq);
    const tr = this.k.engine.trace;
    if (tr.enabled) tr.emit(this.src, 'rq.requeue', { rq: rq.id, tag, requeues: rq.requeues });
    if (kick) this.kick(h);
    return true;
  }

  /** Runs the queue from a fresh event (never re-entering the driver's own call). */
  kick(h: HwQueue): void {
    if (h.kickPending) return;
    h.kickPending = true;
    this.k.engine.schedule(0, h.kickFn, 'blk.kick');
  }

  /** blk_mq_end_request: final accounting, bio completion, request and tag release. */
  endRequest(rq: Request, errno: number): void {
    const h = this.hctxs[rq.hctxIndex]!;
    const now = this.k.engine.now;
    if (rq.state === RQ_STATE.INFLIGHT) {
      h.inflight--;
      rq.completedNs = now;
    } else if (rq.state !== RQ_STATE.COMPLETING) {
      throw new Error(`${this.src}: request ${rq.id} ended in state ${rq.state}`);
    }
    rq.errno = errno;
    const op = rq.op;
    this.stats.account(rq, errno);
    const tr = this.k.engine.trace;
    if (tr.enabled) {
      TRACE_COMPLETE.emit(tr, this.traceSrc, rq.id, rq.tag, REQ_OP_NAMES[op], errno, rq.startNs, rq.queuedNs, rq.dispatchedNs, rq.issuedNs, rq.completedNs);
    }
    const owner = rq.flushOwner;
    if (owner) {
      owner.seqSteps &= ~rq.flushStep;
      this.freeRq(rq);
      if (errno !== 0 || owner.seqSteps === 0) this.endBio(owner, errno);
      else this.startBio(h, owner, null);
    } else if (rq.nrBios === 1) {
      // Free the request before ending its bio (see below); one bio needs no scratch list.
      const b = rq.bios[0]!;
      this.freeRq(rq);
      this.endBio(b, errno);
    } else {
      // Free the request before ending its bios: a submitter that issues its next bio from
      // endIo then finds the tag free, so tags in use never exceed the bios in flight.
      const n = rq.nrBios;
      const bios = this.scratch(this.endDepth++);
      for (let i = 0; i < n; i++) bios[i] = rq.bios[i]!;
      this.freeRq(rq);
      for (let i = 0; i < n; i++) {
        const b = bios[i]!;
        bios[i] = null;
        this.endBio(b, errno);
      }
      this.endDepth--;
    }
    // A completion restarts a queue stopped by BUSY (SCHED_RESTART); a BUSY from the requests
    // started below for parked bios stands until the next completion or the retry timer.
    h.busyWait = false;
    while (h.waiters.length > 0 && h.freeRqCount > 0) this.startBio(h, h.waiters.popFront()!, null);
    if (h.hasWork) this.runHwQueue(h);
  }

  /** Bio lists for endRequest, one per nesting level (endIo may end another request). */
  private readonly scratchBios: (Bio | null)[][] = [];
  private endDepth = 0;

  private scratch(depth: number): (Bio | null)[] {
    let a = this.scratchBios[depth];
    if (!a) {
      a = new Array<Bio | null>(this.limits.maxSegments).fill(null);
      this.scratchBios[depth] = a;
    }
    return a;
  }

  private freeRq(rq: Request): void {
    for (let i = 0; i < rq.nrBios; i++) rq.bios[i] = null;
    rq.nrBios = 0;
    rq.flushOwner = null;
    rq.state = RQ_STATE.FREE;
    this.hctxs[rq.hctxIndex]!.freeRq(rq);
  }

  private endBio(bio: Bio, errno: number): void {
    bio.status = errno;
    bio.doneNs = this.k.engine.now;
    bio.endIo?.(bio);
  }

  /** Ends a bio that never became a request, from a fresh event (no recursion into endIo). */
  private endBioLater(bio: Bio, errno: number): void {
    this.k.engine.schedule(0, () => this.endBio(bio, errno), 'blk.bio-end');
  }

  private handleTimeout(rq: Request): void {
    rq.timeouts++;
    this.stats.timeouts.value++;
    const tr = this.k.engine.trace;
    if (tr.enabled) tr.emit(this.src, 'rq.timeout', { rq: rq.id, tag: rq.tag, op: REQ_OP_NAMES[rq.op], issued: rq.issuedNs });
    this.k.log.ratelimited(`${this.name}/timeout`, 'warning', this.name, `request ${rq.id} (tag ${rq.tag}) timed out after ${formatNs(this.k.engine.now - rq.issuedNs)}`);
    const act = this.ops.timeout ? this.ops.timeout(rq) : BLK_EH.DONE;
    if (rq.state !== RQ_STATE.INFLIGHT) return;
    if (act === BLK_EH.RESET_TIMER) rq.deadlineNs = this.timeoutNs > 0 ? this.k.engine.now + this.timeoutNs : Number.MAX_SAFE_INTEGER;
    else this.complete(rq, ETIMEDOUT);
  }

  // ---- control ---------------------------------------------------------------------------

  /** blk_mq_stop_hw_queues: no dispatch until started again. */
  stopHwQueues(): void {
    for (const h of this.hctxs) h.stopped = true;
  }

  startHwQueues(): void {
    for (const h of this.hctxs) {
      h.stopped = false;
      this.kick(h);
    }
  }

  /** Finds the request holding driver tag `tag` on hardware queue `hctx`. */
  tagToRq(hctx: number, tag: number): Request | null {
    return this.hctxs[hctx]?.tagToRq(tag) ?? null;
  }

  get inflight(): number {
    let n = 0;
    for (const h of this.hctxs) n += h.inflight;
    return n;
  }

  /** Requests allocated and not yet with the driver. */
  get queued(): number {
    let n = 0;
    for (const h of this.hctxs) n += h.sched.count + h.dispatchList.length;
    return n;
  }

  /**
   * The disk goes away (del_gendisk): new bios fail with ENXIO, and so do requests not yet with
   * the driver and bios waiting for a tag. Requests the driver holds are its to end.
   */
  shutdown(): void {
    this.dead = true;
    this.timeouts.stop();
    const now = this.k.engine.now;
    for (const h of this.hctxs) {
      h.stopped = true;
      for (;;) {
        const rq = h.dispatchList.popFront() ?? h.sched.dispatch(Number.MAX_SAFE_INTEGER);
        if (!rq) break;
        this.merges.remove(rq);
        if (rq.dispatchedNs < 0) rq.dispatchedNs = now;
        rq.issuedNs = now;
        rq.completedNs = now;
        rq.errno = ENXIO;
        rq.state = RQ_STATE.COMPLETING;
        this.k.raiseBlockCompletion(rq);
      }
      while (h.waiters.length > 0) this.endBioLater(h.waiters.popFront()!, ENXIO);
    }
  }
}
