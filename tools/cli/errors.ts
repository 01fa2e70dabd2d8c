import { inspect } from 'node:util';
import { InputError } from '../../drivers/nbd/config/errors.ts';

export const EXIT_OK = 0;
/** A run failed: an expectation, a safety or liveness violation, a diverging replay. */
export const EXIT_FAILED = 1;
/** Bad input: missing file, TOML syntax, schema, bad flag. */
export const EXIT_USAGE = 2;
/** Stopped by Ctrl-C (128 + SIGINT, as shells report it); a partial summary was printed. */
export const EXIT_INTERRUPTED = 130;

/** Bad input that is not in a file: a flag value, a missing argument. Exit 2. */
export class UsageError extends Error {
  constructor(readonly what: string, readonly reason: string) {
    super(what === '' ? reason : `${what}: ${reason}`);
    this.name = 'UsageError';
  }
}

/** The run could not complete or could not be checked. Exit 1. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

/**
 * The one line and exit status for any error that reaches the top: `orion-sim: <file>:
 * <key>: <reason>`, never a stack trace (ORION_SIM_DEBUG=1 adds it for developers).
 */
export function describeError(e: unknown): { line: string; code: number } {
  if (e instanceof InputError || e instanceof UsageError) return { line: `orion-sim: ${e.message}`, code: EXIT_USAGE };
  if (e instanceof RunError) return { line: `orion-sim: ${e.message}`, code: EXIT_FAILED };
  const msg = (e instanceof Error ? e.message : typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : inspect(e)).split('\n')[0]!;
  return { line: `orion-sim: internal error: ${msg} (ORION_SIM_DEBUG=1 shows the stack)`, code: EXIT_FAILED };
}
