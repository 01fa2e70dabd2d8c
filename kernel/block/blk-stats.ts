/**
 * Per-disk counters and latency histograms, published under `block/<disk>/` in the stats tree
 * (`block/<disk>/latency/<op>/<stage>/p99` …). Latency stages per op, hop by hop:
 * `alloc` (bio submitted → request allocated: waiting for a free tag), `queue` (allocated →
 * dispatched: plug and I/O scheduler), `dispatch` (dispatched → last issue to the driver: BUSY
 * retries and requeues), `service` (last issue → completed by the driver), `total` (bio
 * submitted → completed).
 */
import { Histogram } from '../lib/histogram.ts';
import type { Counter, StatsProvider, StatsTree, StatValue } from '../core/stats.ts';
import type { Request } from './request.ts';
import { REQ_OP_NAMES } from './types.ts';

export const LATENCY_STAGES = ['total', 'alloc', 'queue', 'dispatch', 'service'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];
const SUMMARY_KEYS = ['count', 'min', 'max', 'mean', 'p50', 'p90', 'p99', 'p999'] as const;

/** A stage's latency: 0 for a request that went straight through (a free tag, no plug or scheduler wait, no retry). */
function recordStage(h: Histogram, ns: number): void {
  if (ns === 0) h.recordZero();
  else h.record(ns);
}

export class BlkStats {
  readonly ios: Counter[];
  readonly bytes: Counter[];
  readonly errors: Counter[];
  readonly mergesBack: Counter;
  readonly mergesFront: Counter;
  readonly requeues: Counter;
  readonly busy: Counter;
  readonly timeouts: Counter;
  readonly stale: Counter;
  readonly tagWaits: Counter;
  /** [op][stage] */
  readonly latency: Histogram[][];

  constructor(stats: StatsTree, readonly prefix: string) {
    this.ios = REQ_OP_NAMES.map((op) => stats.counter(`${prefix}/${op}/ios`));
    this.bytes = REQ_OP_NAMES.map((op) => stats.counter(`${prefix}/${op}/bytes`));
    this.errors = REQ_OP_NAMES.map((op) => stats.counter(`${prefix}/${op}/errors`));
    this.mergesBack = stats.counter(`${prefix}/merges/back`);
    this.mergesFront = stats.counter(`${prefix}/merges/front`);
    this.requeues = stats.counter(`${prefix}/requeues`);
    this.busy = stats.counter(`${prefix}/busy`);
    this.timeouts = stats.counter(`${prefix}/timeouts`);
    this.stale = stats.counter(`${prefix}/stale_completions`);
    this.tagWaits = stats.counter(`${prefix}/tag_waits`);
    this.latency = REQ_OP_NAMES.map(() => LATENCY_STAGES.map(() => new Histogram()));
    stats.provider(`${prefix}/latency`, this.latencyProvider());
  }

  /** Counts an ended request and records its stage latencies. */
  account(rq: Request, errno: number): void {
    const op = rq.op;
    this.ios[op]!.value++;
    this.bytes[op]!.value += rq.bytes;
    if (errno !== 0) this.errors[op]!.value++;
    const lat = this.latency[op]!;
    lat[0]!.record(rq.completedNs - rq.startNs);
    recordStage(lat[1]!, rq.queuedNs - rq.startNs);
    recordStage(lat[2]!, rq.dispatchedNs - rq.queuedNs);
    recordStage(lat[3]!, rq.issuedNs - rq.dispatchedNs);
    lat[4]!.record(rq.completedNs - rq.issuedNs);
  }

  histogram(op: number, stage: LatencyStage): Histogram {
    return this.latency[op]![LATENCY_STAGES.indexOf(stage)]!;
  }

  private latencyProvider(): StatsProvider {
    return {
      list: () => {
        const out: string[] = [];
        for (const op of REQ_OP_NAMES) for (const st of LATENCY_STAGES) for (const k of SUMMARY_KEYS) out.push(`${op}/${st}/${k}`);
        return out;
      },
      read: (leaf: string): StatValue | undefined => {
        const [op, st, k] = leaf.split('/');
        const oi = REQ_OP_NAMES.indexOf(op as (typeof REQ_OP_NAMES)[number]);
        const si = LATENCY_STAGES.indexOf(st as LatencyStage);
        if (oi < 0 || si < 0 || !SUMMARY_KEYS.includes(k as (typeof SUMMARY_KEYS)[number])) return undefined;
        const s = this.latency[oi]![si]!.summary();
        return s[k as keyof typeof s];
      },
    };
  }
}
