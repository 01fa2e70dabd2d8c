import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { createContext, type ContextOptions, type CliContext } from './context.ts';
import { describeError, EXIT_OK, EXIT_USAGE } from './errors.ts';

/** The commander program with every subcommand registered. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('orion-sim')
    .description('Orion Sim: a deterministic, seeded simulator of an NBD driver on a simulated kernel')
    .version(ctx.version)
    .showSuggestionAfterError(true)
    // Lets `mgmt` pass a management command's own --flags through untouched.
    .enablePositionalOptions()
    // Settings copied to every subcommand created after this point.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      // main() prints commander's errors itself, as one `orion-sim: ...` line.
      outputError: () => {},
    });
  for (const c of commands) c.register(program, ctx);
  return program;
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line. */
function commanderLine(e: CommanderError): string {
  return e.message.replace(/^error: /, '').replace(/\n+/g, ' ').trim();
}

/**
 * Runs the CLI and returns the exit status: 0 success, 1 a failed run, 2 bad input. Errors are
 * one line on stderr, never a stack trace (unless ORION_SIM_DEBUG=1).
 */
export async function main(argv: readonly string[], opts: ContextOptions = {}): Promise<number> {
  const ctx = createContext(opts);
  try {
    const program = buildProgram(ctx);
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here too.
      if (e.exitCode === 0) return EXIT_OK;
      // No subcommand: commander printed the help; that is still a usage error.
      if (e.code === 'commander.help') return EXIT_USAGE;
      ctx.io.stderr(`orion-sim: ${commanderLine(e)}\n`);
      return EXIT_USAGE;
    }
    const d = describeError(e);
    ctx.io.stderr(`${d.line}\n`);
    if (process.env['ORION_SIM_DEBUG'] === '1') ctx.io.stderr(`${e instanceof Error ? e.stack : inspect(e)}\n`);
    return d.code;
  }
}
