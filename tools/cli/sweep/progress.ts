import { SingleBar, Presets } from 'cli-progress';
import type { CliIo } from '../context.ts';
import type { SeedOutcome } from './outcome.ts';

export interface Progress {
  seedDone(r: SeedOutcome): void;
  stop(): void;
}

/** A bar on a terminal (stderr), one plain line per seed otherwise (CI logs, pipes). */
export function createProgress(io: CliIo, total: number, quiet: boolean): Progress {
  if (quiet) return { seedDone: () => {}, stop: () => {} };
  if (io.isTTY) {
    const bar = new SingleBar(
      { format: 'sweep [{bar}] {value}/{total} seeds | {failed} failed | eta {eta_formatted}', hideCursor: true, stream: io.terminal },
      Presets.shades_classic,
    );
    let failed = 0;
    bar.start(total, 0, { failed });
    return {
      seedDone: (r) => {
        if (!r.passed) failed++;
        bar.increment(1, { failed });
      },
      stop: () => bar.stop(),
    };
  }
  let n = 0;
  return {
    seedDone: (r) => {
      n++;
      io.stdout(`[${n}/${total}] seed ${r.seed}: ${r.passed ? 'pass' : `FAIL ${r.failures[0] ?? ''}`}\n`);
    },
    stop: () => {},
  };
}
