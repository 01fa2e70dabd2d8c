import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { bucketIndex } from '../../../kernel/lib/histogram.ts';
import { countMarks } from './marks.ts';
import type { RunResult, Runner } from '../../../scenarios/runner/types.ts';
import type { Scenario } from '../../../scenarios/schema/types.ts';
import { variantOptions, type RunVariant } from '../options.ts';
import { formatValue } from '../format/units.ts';

/** Per op: histogram bucket index → count (sparse, JSON-safe). */
export type LatencyBuckets = Record<string, Record<string, number>>;

/** Adds one request's latency to per-op buckets. */
export function recordLatency(into: LatencyBuckets, op: string, ns: number): void {
  const b = (into[op] ??= {});
  const i = String(bucketIndex(Math.max(0, Math.round(ns))));
  b[i] = (b[i] ?? 0) + 1;
}

/** What a sweep keeps of one seed's run: small and structured-clone safe (crosses threads). */
export interface SeedOutcome {
  readonly seed: number;
  readonly passed: boolean;
  readonly digest: string;
  readonly virtualTimeNs: number;
  readonly events: number;
  /** Failed expectation names and violation messages; the error when the run threw. */
  readonly failures: readonly string[];
  readonly error?: string;
  /** Block-layer latency per op (histogram buckets), for merged sweep histograms. */
  readonly latency?: LatencyBuckets;
  /** Coverage marks hit (marks.ts): name → count. */
  readonly marks?: Record<string, number>;
}

export function outcomeOf(r: RunResult, latency?: LatencyBuckets, marks?: Record<string, number>): SeedOutcome {
  return {
    ...(latency ? { latency } : {}),
    ...(marks ? { marks } : {}),
    seed: r.seed,
    passed: r.passed,
    digest: r.digest,
    virtualTimeNs: r.virtualTimeNs,
    events: r.events,
    failures: [
      ...r.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${formatValue(e.actual, e.unit)} (limit ${formatValue(e.limit, e.unit)})`),
      ...r.safetyViolations.slice(0, 3).map((v) => `safety: ${v.message}`),
      ...r.livenessViolations.slice(0, 3).map((v) => `liveness: ${v.message}`),
    ],
  };
}

/** Runs one seed; a throw from the simulation is a failed seed, not a failed sweep. */
export function runSeed(runner: Runner, s: Scenario, seed: number, v: RunVariant): SeedOutcome {
  try {
    const latency: LatencyBuckets = {};
    const marks: Record<string, number> = {};
    const onTrace = (t: TraceRecord): void => {
      countMarks(t, marks);
      if (t.kind !== 'rq.complete' || !t.src.startsWith('client/blk/')) return;
      const d = t.data as { op?: unknown; start?: unknown; completed?: unknown };
      if (typeof d.op === 'string' && typeof d.start === 'number' && typeof d.completed === 'number') recordLatency(latency, d.op, d.completed - d.start);
    };
    return outcomeOf(runner.runScenario(s, seed, { ...variantOptions(v), onTrace }), latency, marks);
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return { seed, passed: false, digest: '', virtualTimeNs: 0, events: 0, failures: [`threw: ${error}`], error };
  }
}
