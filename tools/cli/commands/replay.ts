import { lazy, type CommandModule } from '../command.ts';

/** `replay TRACE`: re-run from the trace header and verify the digest record by record. */
export const replayCommand: CommandModule = {
  name: 'replay',
  register(program, ctx) {
    program
      .command('replay')
      .description('re-run the scenario and seed named in a trace header and check every record and the digest')
      .argument('<trace>', 'trace file from `run --trace`')
      .action(lazy(ctx, async () => (await import('../actions/replay.ts')).replay));
  },
};
