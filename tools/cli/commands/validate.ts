import { lazy, type CommandModule } from '../command.ts';

/** `validate SCENARIO...`: schema and reference check only; nothing runs. */
export const validateCommand: CommandModule = {
  name: 'validate',
  register(program, ctx) {
    program
      .command('validate')
      .description('check scenario files against the schema (nothing runs)')
      .argument('<scenario...>', 'scenario TOML files')
      .option('--json', 'print the normalised scenario (times in ns, sizes in bytes, rates in bit/s)')
      .action(lazy(ctx, async () => (await import('../actions/validate.ts')).validate));
  },
};
