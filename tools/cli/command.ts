import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** One subcommand, in its own file, listed in commands/index.ts. */
export interface CommandModule {
  readonly name: string;
  register(program: Command, ctx: CliContext): void;
}

/** Wraps an action so its result becomes the exit status; errors propagate to main(). */
export function action<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.exitCode = await fn(...args);
  };
}

/**
 * An action whose code is imported only when its command runs (a dynamic import: its own chunk in
 * the bundle), so `--help`, `--version` and a bad flag load no simulator, zod, xstate or piscina.
 */
export function lazy<A extends unknown[]>(ctx: CliContext, load: () => Promise<(ctx: CliContext, ...args: A) => Promise<number> | number>): (...args: A) => Promise<void> {
  return action(ctx, async (...args: A) => (await load())(ctx, ...args));
}
