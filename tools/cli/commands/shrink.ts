import { lazy, type CommandModule } from '../command.ts';
import { positiveIntArg, seedArg } from '../options.ts';

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
      .action(lazy(ctx, async () => (await import('../actions/shrink.ts')).shrink));
  },
};
