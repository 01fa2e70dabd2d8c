import { loadScenario } from '../../../scenarios/schema/load.ts';
import type { CliContext } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { formatMgmt } from '../stepper.ts';
import { requireSessions } from './step.ts';

/** `mgmt`: run to virtual time `at`, then print one management command's output. */
export async function mgmt(ctx: CliContext, file: string, command: string[], f: { at: number; seed?: number; json?: boolean }): Promise<number> {
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
}
