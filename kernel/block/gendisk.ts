/**
 * gendisk registration and the BLOCK softirq. A disk is a name, a capacity and a blk-mq request
 * queue driven by a driver's BlkMqOps. Completions queued by blkMqComplete are ended in the
 * BLOCK softirq of the completing core, at most `budget` per round.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { CpuContext } from '../core/cpu-context.ts';
import type { KernelLog } from '../core/klog.ts';
import type { StatsTree } from '../core/stats.ts';
import type { KernelTimer } from '../core/timers.ts';
import { Deque } from '../lib/deque.ts';
import { SOFTIRQ, type Softirq } from '../core/softirq.ts';
import type { Bio } from './bio.ts';
import { RequestQueue, type BlkPlug, type BlockHost, type QueueConfig } from './queue.ts';
import type { Request } from './request.ts';
import type { BlkMqOps } from './mq-ops.ts';
import { DEFAULT_LIMITS, type MqDeadlineTunables, type QueueLimits, type SchedulerName } from './types.ts';

export interface AddDiskOptions {
  name: string;
  capacitySectors: number;
  ops: BlkMqOps;
  /** Default 1. */
  nrHwQueues?: number;
  /** Driver tags per hardware queue. Default 128. */
  queueDepth?: number;
  limits?: Partial<QueueLimits>;
  /** Default `none`. */
  scheduler?: SchedulerName;
  deadline?: Partial<MqDeadlineTunables>;
  /** Scheduler requests per hardware queue. Default 2 × queueDepth. */
  nrRequests?: number;
  /** Per-request timeout. Default 30 s; 0 turns timeouts off. */
  timeoutNs?: Ns;
  /** Delay before retrying after BUSY when no completion comes first. Default 3 ms. */
  busyRetryNs?: Ns;
  driverData?: unknown;
}

export class GenDisk {
  driverData: unknown;
  constructor(readonly name: string, readonly queue: RequestQueue, private readonly ctx: { cpu: number }, driverData: unknown) {
    this.driverData = driverData;
  }

  get capacitySectors(): number {
    return this.queue.capacitySectors;
  }
  set capacitySectors(n: number) {
    this.queue.capacitySectors = n;
  }
  get capacityBytes(): number {
    return this.queue.capacitySectors * 512;
  }

  /** submit_bio from `cpu` (default: the core now running). */
  submitBio(bio: Bio, cpu: number = this.ctx.cpu, plug: BlkPlug | null = null): void {
    this.queue.submitBio(bio, cpu, plug);
  }

  startPlug(): BlkPlug {
    return this.queue.startPlug();
  }

  finishPlug(plug: BlkPlug): void {
    this.queue.finishPlug(plug);
  }
}

function nonNegativeInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * The block layer of one kernel. It is its queues' BlockHost itself, by methods, not closures:
 * optimised code that inlines a per-kernel closure embeds it, and is thrown away (deopt "weak
 * objects") when that kernel's world dies.
 */
export class BlockLayer implements BlockHost {
  private readonly disks = new Map<string, GenDisk>();
  private readonly done: Deque<Request>[] = [];
  /** CPU cost of ending one request in the softirq. */
  completionCostNs: Ns = 300;

  readonly engine: Engine;
  readonly ctx: CpuContext;
  readonly stats: StatsTree;
  readonly log: KernelLog;
  readonly cores: number;
  readonly host: string;

  private nextRqId = 1;

  constructor(private readonly k: Omit<BlockHost, 'raiseBlockCompletion' | 'nextRequestId'>, private readonly softirq: Softirq) {
    this.engine = k.engine;
    this.ctx = k.ctx;
    this.stats = k.stats;
    this.log = k.log;
    this.cores = k.cores;
    this.host = k.host;
    for (let c = 0; c < k.cores; c++) this.done.push(new Deque<Request>(64));
    softirq.open(SOFTIRQ.BLOCK, 'BLOCK', (cpu, budget) => this.blockAction(cpu, budget));
  }

  timer(fn: () => void, label: string): KernelTimer {
    return this.k.timer(fn, label);
  }

  /** Queues a completed request for the BLOCK softirq of the current core. */
  raiseBlockCompletion(rq: Request): void {
    const cpu = this.ctx.cpu;
    this.done[cpu]!.pushBack(rq);
    this.softirq.raise(SOFTIRQ.BLOCK, cpu);
  }

  nextRequestId(): number {
    return this.nextRqId++;
  }

  /** add_disk: registers a disk with its queue; stats appear under `block/<name>/`. */
  addDisk(o: AddDiskOptions): GenDisk {
    if (this.disks.has(o.name)) throw new Error(`add_disk: a disk named '${o.name}' already exists`);
    const depth = positiveInt(o.queueDepth ?? 128, `disk ${o.name}: queueDepth`);
    const limits: QueueLimits = { ...DEFAULT_LIMITS, ...o.limits };
    if (limits.logicalBlockSize < 512 || limits.logicalBlockSize % 512 !== 0) {
      throw new RangeError(`disk ${o.name}: logicalBlockSize must be a multiple of 512, got ${limits.logicalBlockSize}`);
    }
    const cfg: QueueConfig = {
      name: o.name,
      ops: o.ops,
      capacitySectors: o.capacitySectors,
      nrHwQueues: positiveInt(o.nrHwQueues ?? 1, `disk ${o.name}: nrHwQueues`),
      queueDepth: depth,
      limits,
      scheduler: o.scheduler ?? 'none',
      deadline: o.deadline ?? {},
      nrRequests: positiveInt(o.nrRequests ?? 2 * depth, `disk ${o.name}: nrRequests`),
      timeoutNs: nonNegativeInt(o.timeoutNs ?? 30_000_000_000, `disk ${o.name}: timeoutNs`),
      busyRetryNs: o.busyRetryNs ?? 3_000_000,
    };
    if (cfg.scheduler !== 'none' && cfg.scheduler !== 'mq-deadline') throw new Error(`disk ${o.name}: unknown scheduler '${String(cfg.scheduler)}'`);
    const q = new RequestQueue(this, cfg);
    const disk = new GenDisk(o.name, q, this.ctx, o.driverData ?? null);
    this.disks.set(o.name, disk);
    this.registerStats(disk);
    this.log.info('blk', `${o.name}: ${o.capacitySectors} sectors, ${cfg.nrHwQueues} hw queue(s) of depth ${depth}, scheduler ${cfg.scheduler}`);
    return disk;
  }

  /** del_disk: new bios fail with ENXIO; stats disappear. */
  delDisk(name: string): void {
    const d = this.disks.get(name);
    if (!d) return;
    d.queue.shutdown();
    this.disks.delete(name);
    this.stats.remove(`block/${name}`);
  }

  disk(name: string): GenDisk | undefined {
    return this.disks.get(name);
  }

  listDisks(): string[] {
    return [...this.disks.keys()].sort();
  }

  private blockAction(cpu: number, budget: number): boolean {
    const list = this.done[cpu]!;
    let n = 0;
    while (n < budget && list.length > 0) {
      const rq = list.popFront()!;
      rq.q.endRequest(rq, rq.errno);
      n++;
    }
    this.softirq.charge(cpu, n * this.completionCostNs);
    return list.length > 0;
  }

  private registerStats(d: GenDisk): void {
    const p = `block/${d.name}`;
    const q = d.queue;
    const s = this.stats;
    s.gauge(`${p}/inflight`, () => q.inflight);
    s.gauge(`${p}/queued`, () => q.queued);
    s.gauge(`${p}/capacity_sectors`, () => q.capacitySectors);
    s.gauge(`${p}/scheduler`, () => q.hctxs[0]!.sched.name);
    s.gauge(`${p}/timeout_ns`, () => q.timeoutNs);
    for (const h of q.hctxs) {
      const hp = `${p}/hctx/${h.index}`;
      s.gauge(`${hp}/depth`, () => h.depth);
      s.gauge(`${hp}/tags_in_use`, () => h.tagsInUse);
      s.gauge(`${hp}/max_tags_in_use`, () => h.maxTagsInUse);
      s.gauge(`${hp}/inflight`, () => h.inflight);
      s.gauge(`${hp}/dispatched`, () => h.dispatched);
      s.gauge(`${hp}/waiting_bios`, () => h.waiters.length);
    }
  }
}
