import { loadScenario } from '../../../scenarios/schema/load.ts';
import { action, type CommandModule } from '../command.ts';
import { EXIT_OK } from '../errors.ts';

/** `validate SCENARIO...`: schema and reference check only; nothing runs. */
export const validateCommand: CommandModule = {
  name: 'validate',
  register(program, ctx) {
    program
      .command('validate')
      .description('check scenario files against the schema (nothing runs)')
      .argument('<scenario...>', 'scenario TOML files')
      .option('--json', 'print the normalised scenario (times in ns, sizes in bytes, rates in bit/s)')
      .action(
        action(ctx, (files: string[], opts: { json?: boolean }) => {
          for (const file of files) {
            const s = loadScenario(file);
            if (opts.json) {
              ctx.io.stdout(`${JSON.stringify(s, null, 2)}\n`);
              continue;
            }
            const faults = s.timeline.filter((e) => e.action !== 'mgmt').length;
            ctx.io.stdout(
              `ok ${file}: ${s.name} — ${s.servers.length} server(s), ${s.links.length} link(s), ${s.jobs.length} job(s), ` +
                `${faults} fault(s), ${s.timeline.length - faults} management command(s), seeds ${s.seeds.join(',')}\n`,
            );
          }
          return EXIT_OK;
        }),
      );
  },
};
