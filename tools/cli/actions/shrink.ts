import type { CliContext } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { checkInjection } from '../options.ts';
import { shrinkSummary, shrinkToFile } from '../../shrink/report.ts';

/** Flags of `shrink` (commands/shrink.ts declares the options that set them). */
export interface ShrinkFlags {
  seed?: number;
  swarm?: boolean;
  inject?: string;
  out?: string;
  maxRuns: number;
  verbose?: boolean;
}

/** `shrink`: reduce a failing seed's scenario, write it, print how to reproduce it. */
export async function shrink(ctx: CliContext, file: string, f: ShrinkFlags): Promise<number> {
  const runner = await ctx.loadRunner();
  if (f.inject !== undefined) checkInjection(f.inject, runner.faultInjections);
  let done;
  try {
    done = shrinkToFile(runner, { file, seed: f.seed!, swarm: f.swarm === true, faultInjection: f.inject, maxRuns: f.maxRuns, out: f.out },
      f.verbose ? (l) => ctx.io.stdout(`  ${l}\n`) : undefined);
  } catch (e) {
    // A seed that passes (or a scenario that does not run) is bad input for shrink.
    if (e instanceof Error && / passes;| does not run /.test(e.message)) throw new UsageError('--seed', e.message);
    throw e;
  }
  ctx.io.stdout(shrinkSummary(done.result, done.out, done.reproduce));
  return EXIT_OK;
}
