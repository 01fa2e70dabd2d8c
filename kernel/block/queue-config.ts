/** The configuration of a request queue and what it needs from its kernel. */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { CpuContext } from '../core/cpu-context.ts';
import type { KernelLog } from '../core/klog.ts';
import type { StatsTree } from '../core/stats.ts';
import type { KernelTimer } from '../core/timers.ts';
import type { Request } from './request.ts';
import type { BlkMqOps } from './mq-ops.ts';
import type { MqDeadlineTunables, QueueLimits, SchedulerName } from './types.ts';

/** What a queue needs from its kernel. */
export interface BlockHost {
  readonly engine: Engine;
  readonly ctx: CpuContext;
  readonly stats: StatsTree;
  readonly log: KernelLog;
  readonly cores: number;
  /** Trace source prefix, the host name. */
  readonly host: string;
  timer(fn: () => void, label: string): KernelTimer;
  /** Queues a completed request for the BLOCK softirq of the current core. */
  raiseBlockCompletion(rq: Request): void;
  /** The next request id: unique over every queue of this kernel, so a trace joins one request by id alone. */
  nextRequestId(): number;
}

export interface QueueConfig {
  name: string;
  ops: BlkMqOps;
  capacitySectors: number;
  nrHwQueues: number;
  queueDepth: number;
  limits: QueueLimits;
  scheduler: SchedulerName;
  deadline: Partial<MqDeadlineTunables>;
  /** Scheduler requests per hardware queue (ignored with `none`). */
  nrRequests: number;
  timeoutNs: Ns;
  busyRetryNs: Ns;
}

/** A submitter's plug: requests gather here (and merge) until finishPlug. */
export interface BlkPlug {
  readonly list: Request[];
}

