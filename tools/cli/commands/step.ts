import { lazy, type CommandModule } from '../command.ts';
import { seedArg } from '../options.ts';

/** `step SCENARIO|TRACE [--seed N]`: the interactive stepper; commands come from stdin, so it works in a pipe. */
export const stepCommand: CommandModule = {
  name: 'step',
  register(program, ctx) {
    program
      .command('step')
      .description('step through a run event by event (reads commands from stdin; `help` lists them)')
      .argument('<scenario-or-trace>', 'scenario TOML file, or a trace file whose header names scenario and seed')
      .option('--seed <n>', 'seed (default: the trace\'s, or the first [scenario] seed)', seedArg)
      .action(lazy(ctx, async () => (await import('../actions/step.ts')).step));
  },
};
