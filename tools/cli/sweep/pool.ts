import { Piscina } from 'piscina';
import type { Scenario } from '../../../scenarios/schema/types.ts';
import type { CliContext } from '../context.ts';
import type { RunVariant } from '../options.ts';
import { runSeed, type SeedOutcome } from './outcome.ts';
import type { SweepTask } from './worker.ts';

import { SWEEP_WORKER as WORKER } from '../paths.ts';

/**
 * Runs the seeds, `jobs` at a time: in this thread for one job, else in a piscina pool of
 * worker threads. Calls `done` as each seed finishes (any order); resolves with the outcomes
 * sorted by seed, so the report does not depend on scheduling.
 */
export async function runSeeds(
  ctx: CliContext,
  s: Scenario,
  seeds: readonly number[],
  jobs: number,
  variant: RunVariant,
  done: (r: SeedOutcome) => void,
): Promise<SeedOutcome[]> {
  const out: SeedOutcome[] = [];
  if (jobs <= 1 || seeds.length <= 1) {
    const runner = await ctx.loadRunner();
    for (const seed of seeds) {
      const r = runSeed(runner, s, seed, variant);
      out.push(r);
      done(r);
      // Let the progress bar repaint between seeds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } else {
    const pool = new Piscina<SweepTask, SeedOutcome>({ filename: WORKER, maxThreads: jobs, minThreads: Math.min(jobs, seeds.length) });
    try {
      await Promise.all(
        seeds.map(async (seed) => {
          const r = await pool.run({ runnerModule: ctx.runnerModule, scenarioFile: s.file, seed, variant });
          out.push(r);
          done(r);
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  return out.sort((a, b) => a.seed - b.seed);
}
