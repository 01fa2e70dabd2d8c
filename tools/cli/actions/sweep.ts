import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenario } from '../../../scenarios/schema/load.ts';
import { InputError } from '../../../drivers/nbd/config/errors.ts';
import type { CliContext } from '../context.ts';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.ts';
import { checkInjection } from '../options.ts';
import { shardSeeds, type Shard } from '../seeds.ts';
import { runSeeds } from '../sweep/pool.ts';
import { createProgress } from '../sweep/progress.ts';
import { mergeSummaries, summarise, type SweepSummary } from '../sweep/summary.ts';
import { shrinkSummary, shrinkToFile } from '../../shrink/report.ts';
import { MARK_NAMES } from '../sweep/marks.ts';

/** Flags of `sweep` (commands/sweep.ts declares the options that set them). */
export interface SweepFlags {
  seeds?: number[];
  jobs: number;
  shard?: Shard;
  swarm?: boolean;
  json?: boolean | string;
  inject?: string;
  shrink?: boolean;
  requireMark: string[];
}

/** `sweep`: many seeds on worker threads, or `sweep merge` of shard results; exit 1 if a seed failed. */
export async function sweep(ctx: CliContext, file: string, rest: string[], f: SweepFlags): Promise<number> {
  for (const m of f.requireMark) if (!MARK_NAMES.includes(m)) throw new UsageError('--require-mark', `unknown mark "${m}" (marks: ${MARK_NAMES.join(', ')})`);
  if (file === 'merge') return merge(ctx, rest, f);
  if (rest.length > 0) throw new UsageError('sweep', `one scenario per sweep (got also ${rest.join(' ')}); to merge results: sweep merge FILE...`);
  const s = loadScenario(file);
  const seeds = shardSeeds(f.seeds ?? s.seeds, f.shard);
  if (f.inject !== undefined) checkInjection(f.inject, (await ctx.loadRunner()).faultInjections);
  const variant = { swarm: f.swarm === true, faultInjection: f.inject };
  const progress = createProgress(ctx.io, seeds.length, f.json === true);
  const started = Date.now();
  let results;
  try {
    results = await runSeeds(ctx, s, seeds, f.jobs, variant, progress.seedDone);
  } finally {
    progress.stop();
  }
  const summary = summarise(s, variant, f.shard, results);
  const wallS = (Date.now() - started) / 1000;
  if (typeof f.json === 'string') writeFileSync(f.json, `${JSON.stringify(summary)}\n`);
  if (f.json === true) ctx.io.stdout(`${JSON.stringify(summary)}\n`);
  else report(ctx, summary, `${wallS.toFixed(1)}s wall`);
  if (f.shrink && summary.failed.length > 0) {
    const runner = await ctx.loadRunner();
    for (const r of summary.failed) {
      const done = shrinkToFile(runner, { file, seed: r.seed, swarm: variant.swarm, faultInjection: f.inject, maxRuns: 300 });
      (f.json === true ? ctx.io.stderr : ctx.io.stdout)(`shrunk seed ${r.seed}:\n${shrinkSummary(done.result, done.out, done.reproduce).replace(/^/gm, '  ')}`);
    }
  }
  return verdict(ctx, summary, f.requireMark);
}

function report(ctx: CliContext, s: SweepSummary, extra: string): void {
  const shard = s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : '';
  ctx.io.stdout(`${s.scenario}${shard}: ${s.seeds} seeds, ${s.passed} passed, ${s.failed.length} failed, ${extra}\n`);
  for (const [op, l] of Object.entries(s.latency)) {
    ctx.io.stdout(`  ${op.padEnd(6)} ${String(l.count).padStart(8)} I/Os  p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}\n`);
  }
  ctx.io.stdout(`  marks: ${Object.entries(s.marks).map(([m, x]) => `${m} ${x.hits} (${x.seeds} seeds)`).join(', ')}\n`);
  for (const r of s.failed) ctx.io.stdout(`FAIL seed ${r.seed}: ${r.failures.join('; ')}\n  replay: ${r.replay}\n  shrink: ${r.shrink}\n`);
}

const us = (ns: number): string => `${(ns / 1000).toFixed(1)}µs`;

/** `sweep merge FILE...`: one report (or --json) over shard results; exit 1 if any seed failed. */
function merge(ctx: CliContext, files: readonly string[], f: SweepFlags): number {
  if (files.length === 0) throw new UsageError('sweep merge', 'needs the --json FILE outputs of the shards');
  const parts = files.map((file) => {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { throw new InputError(file, '', 'cannot read file'); }
    try { return { file, summary: JSON.parse(text) as SweepSummary }; } catch { throw new InputError(file, '', 'not JSON (expected the output of sweep --json FILE)'); }
  });
  let merged: SweepSummary;
  try { merged = mergeSummaries(parts); } catch (e) { throw new UsageError('sweep merge', (e as Error).message); }
  if (typeof f.json === 'string') writeFileSync(f.json, `${JSON.stringify(merged)}\n`);
  if (f.json === true) ctx.io.stdout(`${JSON.stringify(merged)}\n`);
  else report(ctx, merged, `merged from ${files.length} file(s)`);
  return verdict(ctx, merged, f.requireMark);
}

/** Exit 1 when a seed failed or a required coverage mark was never hit. */
function verdict(ctx: CliContext, s: SweepSummary, required: readonly string[]): number {
  const missed = required.filter((m) => (s.marks[m]?.hits ?? 0) === 0);
  for (const m of missed) ctx.io.stderr(`orion-sim: coverage mark "${m}" was never hit in ${s.seeds} seeds\n`);
  return s.failed.length > 0 || missed.length > 0 ? EXIT_FAILED : EXIT_OK;
}
