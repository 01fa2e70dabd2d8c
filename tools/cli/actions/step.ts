import { createInterface } from 'node:readline';
import type { Runner, SimSession } from '../../../scenarios/runner/types.ts';
import { loadScenario } from '../../../scenarios/schema/load.ts';
import { readTrace } from '../../trace/format.ts';
import type { CliContext } from '../context.ts';
import { EXIT_OK, EXIT_USAGE, RunError } from '../errors.ts';
import { STEPPER_HELP, Stepper } from '../stepper.ts';
import { formatNs } from '../format/units.ts';

export function requireSessions(runner: Runner): (s: Parameters<NonNullable<Runner['openSession']>>[0], seed: number) => SimSession {
  const open = runner.openSession?.bind(runner);
  if (!open) throw new RunError('this runner cannot pause a simulation (Runner.openSession is not implemented yet)');
  return (s, seed) => open(s, seed);
}

/** `step`: the stepper on stdin's command lines; exit 2 in a pipe when a line was bad. */
export async function step(ctx: CliContext, target: string, f: { seed?: number }): Promise<number> {
  const fromTrace = !target.endsWith('.toml');
  const header = fromTrace ? readTrace(target).header : undefined;
  const s = loadScenario(header ? header.scenario : target);
  const seed = f.seed ?? header?.seed ?? s.seeds[0]!;
  ctx.io.stdout(`stepping ${s.name} seed ${seed}; \`help\` lists commands\n`);
  // The simulator (the runner bundle, the world at time 0) loads once the first prompt is up,
  // while the user types: the prompt does not wait for it.
  const ready = ctx.loadRunner().then((runner) => {
    const open = requireSessions(runner);
    return new Stepper(() => open(s, seed), ctx.io.stdout, s);
  });
  ready.catch(() => {}); // input that ends before any command never awaits it
  let stepper: Stepper | undefined;
  const rl = createInterface({ input: ctx.io.stdin, terminal: false });
  const prompt = () => ctx.io.isTTY && ctx.io.stderr(`(orion-sim ${formatNs(stepper?.now ?? 0)}) `);
  let bad = 0;
  let running = false;
  // Ctrl-C stops the command that is running; at the prompt it says how to leave.
  const onInterrupt = (): void => {
    if (running) stepper?.interrupt();
    else ctx.io.stdout('(Ctrl-C stops a running command; `quit` leaves the stepper)\n');
  };
  process.on('SIGINT', onInterrupt);
  prompt();
  try {
    for await (const line of rl) {
      stepper ??= await ready;
      try {
        running = true;
        if (!(await stepper.exec(line))) break;
      } catch (e) {
        bad++;
        ctx.io.stdout(`error: ${e instanceof Error ? e.message : String(e)}\n`);
        if (ctx.io.isTTY) ctx.io.stdout(STEPPER_HELP);
      }
      running = false;
      // While the user reads the output, a checkpoint is built behind this point.
      void stepper.prepare();
      prompt();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    rl.close();
  }
  // In a pipe a bad command line is bad input: scripts should notice.
  return bad > 0 && !ctx.io.isTTY ? EXIT_USAGE : EXIT_OK;
}
