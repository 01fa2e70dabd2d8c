import { action, type CommandModule } from '../command.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { checkInjection, positiveIntArg, seedArg } from '../options.ts';
import { shrinkSummary, shrinkToFile } from '../../shrink/report.ts';

interface ShrinkFlags {
  seed?: number;
  swarm?: boolean;
  inject?: string;
  out?: string;
  maxRuns: number;
  verbose?: boolean;
}

/** `shrink SCENARIO --seed N [--swarm] [--inject HOOK] [--out FILE] [--max-runs N]`. */
export const shrinkCommand: CommandModule = {
  name: 'shrink',
  register(program, ctx) {
    program
      .command('shrink')
      .description('reduce a failing seed to a minimal scenario that fails the same way; writes it and prints the command that reproduces it')
      .argument('<scenario>', 'scenario TOML file')
      .requiredOption('--seed <n>', 'the failing seed', seedArg)
      .option('--swarm', 'the seed failed in a swarm run (its draw is written into the scenario)')
      .option('--inject <hook>', 'test hook: a deliberately broken driver build (e.g. drop-acked-write)')
      .option('--out <file>', 'where to write the minimal scenario (default ./NAME-seedN-min.toml)')
      .option('--max-runs <n>', 'most runs to spend', positiveIntArg, 300)
      .option('--verbose', 'print each accepted reduction')
      .action(
        action(ctx, async (file: string, f: ShrinkFlags) => {
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
        }),
      );
  },
};
