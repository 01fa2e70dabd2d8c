/**
 * Job summaries from the workload reports, and `[expect]` evaluated against them and the
 * checkers: each expectation becomes { name, ok, actual, limit, unit }.
 */
import type { LatencySummary as HistSummary } from '../../kernel/lib/histogram.ts';
import type { History } from '../checkers/history.ts';
import type { LivenessReport } from '../checkers/liveness.ts';
import type { SafetyReport } from '../checkers/safety.ts';
import type { JobReport } from '../workload/report.ts';
import type { Expectations, LatencyOp, Ns, Percentile } from '../schema/types.ts';
import type { ExpectationResult, JobResult, LatencySummary } from './types.ts';

const PCTS: readonly Percentile[] = ['p50', 'p90', 'p99', 'p99.9', 'max'];

function pct(s: HistSummary, p: Percentile): Ns {
  switch (p) {
    case 'p50': return s.p50;
    case 'p90': return s.p90;
    case 'p99': return s.p99;
    case 'p99.9': return s.p999;
    default: return s.max;
  }
}

function latencyOf(s: HistSummary): LatencySummary {
  const percentiles: Partial<Record<Percentile, Ns>> = {};
  for (const p of PCTS) percentiles[p] = pct(s, p);
  return { count: s.count, percentiles };
}

export function jobResultOf(j: JobReport): JobResult {
  const ios = j.read.ios + j.write.ios + j.flush.ios;
  const span = j.runtimeNs / 1e9;
  const latency: Partial<Record<LatencyOp, LatencySummary>> = {};
  if (j.read.ios > 0) latency.read = latencyOf(j.read.lat);
  if (j.write.ios > 0) latency.write = latencyOf(j.write.lat);
  if (j.flush.ios > 0) latency.flush = latencyOf(j.flush.lat);
  return {
    name: j.name, ios, errors: j.read.errors + j.write.errors + j.flush.errors,
    iops: span > 0 ? (j.read.ios + j.write.ios) / span : 0,
    bandwidthBps: span > 0 ? ((j.read.bytes + j.write.bytes) * 8) / span : 0,
    latency,
  };
}

export interface Verdicts {
  readonly safety: SafetyReport;
  readonly liveness: LivenessReport | undefined;
  readonly history: History;
  readonly lastHealNs: Ns;
  /** Set when the run could not start (e.g. the device failed): a failed expectation of its own. */
  readonly deviceFailure: string | undefined;
}

function pick(jobs: readonly JobResult[], job: string | undefined, f: (j: JobResult) => number): number {
  const sel = job === undefined ? jobs : jobs.filter((j) => j.name === job);
  return sel.reduce((a, j) => a + f(j), 0);
}

/** Recovery: from the last heal to the first request completed successfully after it. */
export function recoveryNs(h: History, lastHealNs: Ns): Ns | null {
  let first = Number.POSITIVE_INFINITY;
  for (const op of h.ops) {
    if (op.ok && op.completedNs !== undefined && op.completedNs >= lastHealNs && op.completedNs < first) first = op.completedNs;
  }
  return Number.isFinite(first) ? first - lastHealNs : null;
}

export function evaluate(e: Expectations, jobs: readonly JobResult[], v: Verdicts): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  if (v.deviceFailure !== undefined) out.push({ name: 'device', ok: false, actual: v.deviceFailure, limit: 'ready' });
  if (e.safety) out.push({ name: 'safety', ok: v.safety.ok, actual: v.safety.violations.length, limit: 0, unit: 'count' });
  if (e.livenessNs !== undefined && v.liveness) {
    out.push({ name: 'liveness', ok: v.liveness.ok, actual: v.liveness.violations.length, limit: 0, unit: 'count' });
  }
  if (e.recoveryNs !== undefined) {
    const r = recoveryNs(v.history, v.lastHealNs);
    out.push({ name: 'recovery', ok: r !== null && r <= e.recoveryNs, actual: r, limit: e.recoveryNs, unit: 'ns' });
  }
  if (e.iops) {
    const a = pick(jobs, e.iops.job, (j) => j.iops);
    out.push({ name: e.iops.job ? `iops.${e.iops.job}` : 'iops', ok: a >= e.iops.min, actual: Math.round(a), limit: e.iops.min, unit: 'iops' });
  }
  if (e.bandwidth) {
    const a = pick(jobs, e.bandwidth.job, (j) => j.bandwidthBps);
    out.push({ name: e.bandwidth.job ? `bandwidth.${e.bandwidth.job}` : 'bandwidth', ok: a >= e.bandwidth.minBps, actual: Math.round(a), limit: e.bandwidth.minBps, unit: 'bit/s' });
  }
  for (const op of ['read', 'write', 'flush', 'trim'] as const) {
    const limits = e.latency[op];
    if (!limits) continue;
    for (const p of PCTS) {
      const limit = limits[p];
      if (limit === undefined) continue;
      let worst: number | null = null;
      for (const j of jobs) {
        const x = j.latency[op]?.percentiles[p];
        if (x !== undefined && (worst === null || x > worst)) worst = x;
      }
      out.push({ name: `latency.${op}.${p}`, ok: worst !== null && worst <= limit, actual: worst, limit, unit: 'ns' });
    }
  }
  if (e.noErrors) {
    const errs = jobs.reduce((a, j) => a + j.errors, 0);
    out.push({ name: 'no_errors', ok: errs === 0, actual: errs, limit: 0, unit: 'count' });
  }
  return out;
}
