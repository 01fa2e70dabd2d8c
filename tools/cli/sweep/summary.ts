/**
 * A sweep's result as one JSON document (`sweep --json [FILE]`), and the merge of shard results
 * (`sweep merge FILES...`). A summary is a pure function of its seeds' outcomes, so merging the
 * shards' outcomes and summarising gives exactly the unsharded sweep's summary: counts, failing
 * seeds with their replay and shrink commands, and latency histograms (summed bucket counts).
 */
import { bucketLow, bucketWidth } from '../../../kernel/lib/histogram.ts';
import type { Scenario } from '../../../scenarios/schema/types.ts';
import { shrinkCommandLine } from '../../shrink/report.ts';
import { gitCommit } from '../../trace/commit.ts';
import { replayCommand, type RunVariant } from '../options.ts';
import type { Shard } from '../seeds.ts';
import type { LatencyBuckets, SeedOutcome } from './outcome.ts';
import { MARK_NAMES } from './marks.ts';

export interface OpLatency {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly buckets: Record<string, number>;
}

export interface SweepSummary {
  readonly orion_sweep: 1;
  readonly scenario: string;
  readonly scenarioFile: string;
  readonly scenarioHash: string;
  readonly commit: string | null;
  readonly variant: { readonly swarm: boolean; readonly faultInjection: string | null };
  readonly shard: Shard | null;
  /** Number of seeds run. */
  readonly seeds: number;
  readonly passed: number;
  readonly failed: readonly { seed: number; failures: readonly string[]; replay: string; shrink: string }[];
  /** End-to-end block-layer latency per op over every seed (rq.complete: completed − start). */
  readonly latency: Record<string, OpLatency>;
  /** Coverage marks: hits over all seeds and how many seeds hit each (every mark listed). */
  readonly marks: Record<string, { readonly hits: number; readonly seeds: number }>;
  readonly results: readonly SeedOutcome[];
}

export function summarise(s: Pick<Scenario, 'name' | 'file' | 'hash'>, variant: RunVariant, shard: Shard | undefined, results: readonly SeedOutcome[]): SweepSummary {
  const sorted = [...results].sort((a, b) => a.seed - b.seed);
  const failed = sorted.filter((r) => !r.passed);
  const sum: LatencyBuckets = {};
  for (const r of sorted) {
    for (const [op, b] of Object.entries(r.latency ?? {})) {
      const into = (sum[op] ??= {});
      for (const [i, n] of Object.entries(b)) into[i] = (into[i] ?? 0) + n;
    }
  }
  const marks: Record<string, { hits: number; seeds: number }> = {};
  for (const name of MARK_NAMES) marks[name] = { hits: 0, seeds: 0 };
  for (const r of sorted) {
    for (const [name, n] of Object.entries(r.marks ?? {})) {
      const m = (marks[name] ??= { hits: 0, seeds: 0 });
      m.hits += n;
      if (n > 0) m.seeds++;
    }
  }
  const latency: Record<string, OpLatency> = {};
  for (const op of Object.keys(sum).sort()) latency[op] = percentiles(sum[op]!);
  return {
    orion_sweep: 1,
    scenario: s.name,
    scenarioFile: s.file,
    scenarioHash: s.hash,
    commit: gitCommit() ?? null,
    variant: { swarm: variant.swarm === true, faultInjection: variant.faultInjection ?? null },
    shard: shard ?? null,
    seeds: sorted.length,
    passed: sorted.length - failed.length,
    failed: failed.map((r) => ({ seed: r.seed, failures: r.failures, replay: replayCommand(s.file, r.seed, variant), shrink: shrinkCommandLine(s.file, r.seed, variant) })),
    latency,
    marks,
    results: sorted,
  };
}

function percentiles(b: Record<string, number>): OpLatency {
  const idx = Object.keys(b).map(Number).sort((x, y) => x - y);
  const count = idx.reduce((n, i) => n + b[String(i)]!, 0);
  const at = (q: number): number => {
    const want = Math.ceil(q * count);
    let cum = 0;
    for (const i of idx) {
      cum += b[String(i)]!;
      if (cum >= want) return bucketLow(i) + Math.floor((bucketWidth(i) - 1) / 2);
    }
    return 0;
  };
  const buckets: Record<string, number> = {};
  for (const i of idx) buckets[String(i)] = b[String(i)]!;
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), buckets };
}

/** Merges shard summaries of one sweep; refuses mixed scenarios, variants or a seed run twice. */
export function mergeSummaries(parts: readonly { file: string; summary: SweepSummary }[]): SweepSummary {
  const first = parts[0];
  if (!first) throw new Error('sweep merge needs at least one result file');
  const seen = new Map<number, string>();
  const results: SeedOutcome[] = [];
  for (const { file, summary: p } of parts) {
    if (p.orion_sweep !== 1) throw new Error(`${file}: not an orion-sim sweep result (written by sweep --json FILE)`);
    if (p.scenarioHash !== first.summary.scenarioHash) throw new Error(`${file}: scenario ${p.scenarioFile} (hash ${p.scenarioHash.slice(0, 12)}…) differs from ${first.file}'s (${first.summary.scenarioHash.slice(0, 12)}…)`);
    if (JSON.stringify(p.variant) !== JSON.stringify(first.summary.variant)) throw new Error(`${file}: run with ${JSON.stringify(p.variant)}, ${first.file} with ${JSON.stringify(first.summary.variant)}`);
    for (const r of p.results) {
      const other = seen.get(r.seed);
      if (other !== undefined) throw new Error(`${file}: seed ${r.seed} is also in ${other} (overlapping shards)`);
      seen.set(r.seed, file);
      results.push(r);
    }
  }
  const f = first.summary;
  const variant = { swarm: f.variant.swarm, faultInjection: f.variant.faultInjection ?? undefined };
  return summarise({ name: f.scenario, file: f.scenarioFile, hash: f.scenarioHash }, variant, undefined, results);
}
