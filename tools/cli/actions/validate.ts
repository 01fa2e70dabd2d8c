import { loadScenario } from '../../../scenarios/schema/load.ts';
import type { CliContext } from '../context.ts';
import { EXIT_OK } from '../errors.ts';

/** `validate`: schema and reference check of each file; nothing runs. */
export function validate(ctx: CliContext, files: string[], opts: { json?: boolean }): number {
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
}
