import type { ExpectationResult, JobResult } from '../runner/types.ts';
import type { Expectations, LatencyOp, Ns, Percentile } from '../schema/types.ts';
import type { LivenessReport } from './liveness.ts';
import type { SafetyReport } from './safety.ts';

/** What a run measured, for `[expect]`. */
export interface Measured {
  readonly jobs: readonly JobResult[];
  readonly safety: SafetyReport | undefined;
  readonly liveness: LivenessReport | undefined;
  /** Per healed fault: from the heal to the next completed request. */
  readonly recoveryNs: readonly Ns[];
  /** Requests that completed with an error. */
  readonly errors: number;
  /** The network stage per packet (NIC to NIC); undefined when not measured. */
  readonly network?: { readonly count: number; readonly percentiles: Partial<Record<Percentile, Ns>> } | undefined;
  /** The submission stage per request (queue_rq to the header's first byte on the wire); undefined when not measured. */
  readonly submission?: { readonly count: number; readonly percentiles: Partial<Record<Percentile, Ns>> } | undefined;
  /** IPv4 bytes through the client's NIC (received, sent); undefined without a NIC. */
  readonly wire?: { readonly rx: number; readonly tx: number } | undefined;
}

const OPS: readonly LatencyOp[] = ['read', 'write', 'flush', 'trim'];
const PCTS: readonly Percentile[] = ['p50', 'p90', 'p99', 'p99.9', 'max'];

function jobsFor(m: Measured, job: string | undefined): readonly JobResult[] {
  return job === undefined ? m.jobs : m.jobs.filter((j) => j.name === job);
}

/**
 * Sets every `[expect]` line against what was measured, in a fixed order. Latency limits apply to
 * every job (the worst job counts); IOPS and bandwidth to one job or, without `job`, the sum.
 * A latency nobody measured (no such op ran) fails: an expectation must not pass vacuously.
 */
export function evaluateExpectations(e: Expectations, m: Measured): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const op of OPS) {
    const limits = e.latency[op];
    if (!limits) continue;
    for (const p of PCTS) {
      const limit = limits[p];
      if (limit === undefined) continue;
      const seen = m.jobs.map((j) => j.latency[op]?.percentiles[p]).filter((v): v is number => v !== undefined);
      const actual = seen.length === 0 ? null : Math.max(...seen);
      out.push({ name: `latency.${op}.${p}`, ok: actual !== null && actual <= limit, actual, limit, unit: 'ns' });
    }
  }
  if (e.iops) {
    const actual = jobsFor(m, e.iops.job).reduce((s, j) => s + j.iops, 0);
    out.push({ name: e.iops.job ? `iops.${e.iops.job}` : 'iops', ok: actual >= e.iops.min, actual, limit: e.iops.min, unit: 'iops' });
  }
  if (e.bandwidth) {
    // Scenario rates are bit/s; jobs report bytes per second.
    const actual = jobsFor(m, e.bandwidth.job).reduce((s, j) => s + j.bandwidthBytesPerSec * 8, 0);
    out.push({ name: e.bandwidth.job ? `bandwidth.${e.bandwidth.job}` : 'bandwidth', ok: actual >= e.bandwidth.minBps, actual, limit: e.bandwidth.minBps, unit: 'bit/s' });
  }
  if (e.recoveryNs !== undefined) {
    const actual = m.recoveryNs.length === 0 ? null : Math.max(...m.recoveryNs);
    out.push({ name: 'recovery', ok: actual !== null && actual <= e.recoveryNs, actual, limit: e.recoveryNs, unit: 'ns' });
  }
  if (e.livenessNs !== undefined) {
    const actual = m.liveness ? m.liveness.worstNs : null;
    out.push({ name: 'liveness', ok: m.liveness !== undefined && m.liveness.ok, actual, limit: e.livenessNs, unit: 'ns' });
  }
  if (e.safety) {
    const actual = m.safety ? m.safety.violations.length : null;
    // Counted in blocks of the history, as each violation names one block.
    out.push({ name: 'safety', ok: m.safety !== undefined && m.safety.ok, actual, limit: 0, unit: 'blocks' });
  }
  if (e.networkLatency) {
    for (const p of PCTS) {
      const limit = e.networkLatency[p];
      if (limit === undefined) continue;
      const actual = m.network && m.network.count > 0 ? m.network.percentiles[p] ?? null : null;
      out.push({ name: `latency.network.${p}`, ok: actual !== null && actual <= limit, actual, limit, unit: 'ns' });
    }
  }
  if (e.submissionLatency) {
    for (const p of PCTS) {
      const limit = e.submissionLatency[p];
      if (limit === undefined) continue;
      const actual = m.submission && m.submission.count > 0 ? m.submission.percentiles[p] ?? null : null;
      out.push({ name: `latency.submission.${p}`, ok: actual !== null && actual <= limit, actual, limit, unit: 'ns' });
    }
  }
  if (e.wireBytes) {
    for (const dir of ['rx', 'tx'] as const) {
      const limit = e.wireBytes[dir];
      if (limit === undefined) continue;
      const actual = m.wire ? m.wire[dir] : null;
      out.push({ name: `wire_bytes.${dir}`, ok: actual !== null && actual >= limit, actual, limit, unit: 'bytes' });
    }
  }
  if (e.noErrors) out.push({ name: 'no_errors', ok: m.errors === 0, actual: m.errors, limit: 0, unit: 'count' });
  return out;
}
