import { lazy, type CommandModule } from '../command.ts';
import { durationArg, seedArg } from '../options.ts';

/** `mgmt SCENARIO --at T COMMAND...`: run to virtual time T and print a management command's output. */
export const mgmtCommand: CommandModule = {
  name: 'mgmt',
  register(program, ctx) {
    program
      .command('mgmt')
      .description('run a scenario to a virtual time and print a management command\'s output (e.g. nbd-connection-info)')
      .argument('<scenario>', 'scenario TOML file')
      .argument('<command...>', 'management command and its arguments, optionally after the device (nbd1 nbd-server-info; default: the first device)')
      .requiredOption('--at <time>', 'virtual time, e.g. 2.5s', durationArg)
      .option('--seed <n>', 'seed (default: the first [scenario] seed)', seedArg)
      .option('--json', 'print the command\'s structured data as JSON')
      // The management command's own --flags are operands, not orion-sim options.
      .allowUnknownOption()
      .action(lazy(ctx, async () => (await import('../actions/mgmt.ts')).mgmt));
  },
};
