/**
 * Job summaries from the workload reports, and `[expect]` evaluated against them and the
 * checkers: each expectation becomes { name, ok, actual, limit, unit }.
 */
import type { LatencySummary as HistSummary } from '../../kernel/lib/histogram.ts';
import { evaluateExpectations } from '../checkers/expectations.ts';
import type { History } from '../checkers/history.ts';
import type { LivenessReport } from '../checkers/liveness.ts';
import type { SafetyReport } from '../checkers/safety.ts';
import type { JobReport } from '../workload/report.ts';
import type { DeviceExpectation, Expectations, LatencyOp, Ns, Percentile } from '../schema/types.ts';
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
  // Data I/Os as fio and IOPS count them: reads, writes, trims; flushes move no data.
  const ios = j.read.ios + j.write.ios + j.trim.ios;
  const span = j.runtimeNs / 1e9;
  const latency: Partial<Record<LatencyOp, LatencySummary>> = {};
  if (j.read.ios > 0) latency.read = latencyOf(j.read.lat);
  if (j.write.ios > 0) latency.write = latencyOf(j.write.lat);
  if (j.flush.ios > 0) latency.flush = latencyOf(j.flush.lat);
  if (j.trim.ios > 0) latency.trim = latencyOf(j.trim.lat);
  // Bandwidth counts only the bytes that moved as data.
  const incomplete = incompleteReason(j);
  return {
    name: j.name, ios, flushes: j.flush.ios, errors: j.read.errors + j.write.errors + j.flush.errors + j.trim.errors,
    iops: span > 0 ? ios / span : 0,
    bandwidthBytesPerSec: span > 0 ? (j.read.bytes + j.write.bytes) / span : 0,
    latency,
    ...(incomplete !== undefined ? { incomplete } : {}),
  };
}

/** Why a job group did not complete its I/Os, or undefined when every instance did. */
function incompleteReason(j: JobReport): string | undefined {
  if (j.running > 0) return `${j.running} of ${j.numjobs} instance(s) still running when the run ended (${j.issued} I/Os issued)`;
  if (j.stoppedByError > 0) return `${j.stoppedByError} of ${j.numjobs} instance(s) stopped at their first I/O error (${j.issued} I/Os issued; continue_on_error is off)`;
  return undefined;
}

/**
 * `jobs`: every job completed its I/Os, unless `[expect] jobs_complete = false`. A job that never
 * started (its device failed first) has no result here; the device verdict covers it.
 */
export function jobsVerdict(e: Expectations, jobs: readonly JobResult[]): ExpectationResult | undefined {
  if (e.jobsComplete === false || jobs.length === 0) return undefined;
  const bad = jobs.filter((j) => j.incomplete !== undefined);
  const actual = bad.length === 0 ? 'all complete' : bad.map((j) => `${j.name}: ${j.incomplete!}`).join('; ');
  return { name: 'jobs', ok: bad.length === 0, actual, limit: 'every job completes its I/Os' };
}

/** Per healed fault: from the heal to the next request completed successfully (none: null). */
export function recoveryTimes(h: History, healsNs: readonly Ns[]): Ns[] {
  const done: Ns[] = [];
  for (const op of h.ops) if (op.ok && op.completedNs !== undefined) done.push(op.completedNs);
  done.sort((a, b) => a - b);
  const out: Ns[] = [];
  for (const heal of healsNs) {
    let lo = 0;
    let hi = done.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (done[mid]! < heal) lo = mid + 1;
      else hi = mid;
    }
    // A heal nothing followed counts as never recovered.
    out.push(lo < done.length ? done[lo]! - heal : Number.POSITIVE_INFINITY);
  }
  return out;
}

/** How an NBD device ended: its state and, when it failed, why. */
export interface DeviceOutcome {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/** `[expect]` through the checkers' evaluation, plus the device's own verdict. */
export function evaluate(e: Expectations, jobs: readonly JobResult[], m: {
  safety: SafetyReport; liveness: LivenessReport | undefined; history: History; healsNs: readonly Ns[]; devices: readonly DeviceOutcome[];
  wire?: { rx: number; tx: number } | undefined;
  network?: HistSummary | undefined;
  submission?: HistSummary | undefined;
  /** Failovers the NBD devices measured (ns), for `[expect] failover`. */
  failoversNs?: readonly Ns[];
}): ExpectationResult[] {
  const errors = m.history.ops.reduce((a, op) => a + (op.completedNs !== undefined && !op.ok ? 1 : 0), 0);
  const out = evaluateExpectations(e, { jobs, safety: m.safety, liveness: m.liveness, recoveryNs: recoveryTimes(m.history, m.healsNs), errors, wire: m.wire, network: m.network && latencyOf(m.network), submission: m.submission && latencyOf(m.submission) });
  if (e.failoverNs !== undefined) {
    const f = m.failoversNs ?? [];
    const actual = f.length === 0 ? 'none measured' : Math.max(...f);
    out.push({ name: 'failover', ok: typeof actual === 'number' && actual <= e.failoverNs, actual, limit: e.failoverNs, unit: 'ns' });
  }
  const jobsOk = jobsVerdict(e, jobs);
  if (jobsOk) out.unshift(jobsOk);
  out.unshift(...deviceVerdicts(e, m.devices));
  return out;
}

/**
 * Per NBD device: a failed device is never a pass by default (nothing ran, so nothing else could
 * fail); where `[expect] device` says "failed" (for it by name, or for every device) that is the
 * one outcome that passes, its reason containing `reason`. Named `device`, or `device.nbdN` when
 * the run has several NBD devices.
 */
export function deviceVerdicts(e: Expectations, devices: readonly DeviceOutcome[]): ExpectationResult[] {
  const wants = e.device ?? [];
  if (devices.length === 0) return wants.some((w) => w.state === 'failed') ? [{ name: 'device', ok: false, actual: 'no NBD device', limit: 'failed' }] : [];
  const out: ExpectationResult[] = [];
  for (const d of devices) {
    const v = deviceVerdict(wants.find((w) => w.device === d.name) ?? wants.find((w) => w.device === undefined), d);
    if (v) out.push(devices.length > 1 ? { ...v, name: `device.${d.name}` } : v);
  }
  return out;
}

function deviceVerdict(want: DeviceExpectation | undefined, d: DeviceOutcome): ExpectationResult | undefined {
  const failed = d.state === 'failed';
  const actual = failed ? `failed: ${d.reason}` : d.state;
  if (want?.state !== 'failed') return failed ? { name: 'device', ok: false, actual, limit: 'ready' } : undefined;
  const reasonOk = want.reason === undefined || d.reason.toLowerCase().includes(want.reason.toLowerCase());
  const limit = want.reason === undefined ? 'failed' : `failed: …${want.reason}…`;
  return { name: 'device', ok: failed && reasonOk, actual, limit };
}
