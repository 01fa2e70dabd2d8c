import { loadScenario } from '../../../scenarios/schema/load.ts';
import { action, type CommandModule } from '../command.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { formatMgmt } from '../stepper.ts';
import { durationArg, seedArg } from '../options.ts';
import { requireSessions } from './step.ts';

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
      .action(
        action(ctx, async (file: string, command: string[], f: { at: number; seed?: number; json?: boolean }) => {
          // An optional leading device name picks one of several devices: `nbd1 nbd-server-info`.
          const word = /^nbd[0-9]+$/.test(command[0]!) && command.length > 1 ? command[1]! : command[0]!;
          if (!/^nbd-[a-z-]+$/.test(word)) throw new UsageError(word, 'not a management command (they start with nbd-)');
          const s = loadScenario(file);
          const session = requireSessions(await ctx.loadRunner())(s, f.seed ?? s.seeds[0]!);
          while (session.now < f.at && session.step() !== undefined);
          let out;
          try {
            out = session.mgmt(command);
          } catch (e) {
            throw new UsageError(command.join(' '), e instanceof Error ? e.message : String(e));
          }
          ctx.io.stdout(f.json ? `${JSON.stringify(out.data)}\n` : formatMgmt(out));
          return EXIT_OK;
        }),
      );
  },
};
