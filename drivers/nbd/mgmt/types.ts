import type { NbdDevice } from '../device.ts';
import type { StatValue } from '../../../kernel/core/stats.ts';

export type Cell = string | number | boolean | null;

/** What every management command returns: structured data, and a table for humans. */
export interface MgmtOutput {
  readonly command: readonly string[];
  readonly title: string;
  readonly data: unknown;
  readonly table?: { readonly columns: readonly string[]; readonly rows: readonly (readonly Cell[])[] };
}

/** Read side of the kernel stats tree (kernel/core StatsTree satisfies it). */
export interface StatsReader {
  read(path: string): StatValue | undefined;
  snapshot(prefix: string): Record<string, StatValue>;
}

/** What a command works on: it reads the stats tree, and acts through the device (its statecharts). */
export interface MgmtContext {
  readonly device: NbdDevice;
  readonly stats: StatsReader;
}

export interface MgmtCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(ctx: MgmtContext, args: readonly string[]): MgmtOutput;
}

/** A bad argument: names the command, the argument and what was wrong. */
export class MgmtUsageError extends Error {
  override readonly name = 'MgmtUsageError';
  constructor(command: string, usage: string, what: string) {
    super(`${command}: ${what} (usage: ${usage})`);
  }
}
