import { SingleBar, Presets } from 'cli-progress';
import type { CliIo } from '../context.ts';
import type { SeedOutcome } from './outcome.ts';

export interface Progress {
  seedDone(r: SeedOutcome): void;
  stop(): void;
}

/**
 * Time left, from the measured wall time per finished seed (elapsed / done, which already counts
 * the worker threads running side by side) times the seeds left. Nothing finished yet: unknown,
 * not 0 s. cli-progress's own ETA follows the recent increment rate, which read 0 s at the start
 * and minutes for a 38 s sweep when workers finish in bursts.
 */
export function etaText(elapsedMs: number, done: number, total: number): string {
  if (done === 0) return 'measuring';
  const s = Math.round(((elapsedMs / done) * (total - done)) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A bar on a terminal (stderr), one plain line per seed otherwise (CI logs, pipes). */
export function createProgress(io: CliIo, total: number, quiet: boolean): Progress {
  if (quiet) return { seedDone: () => {}, stop: () => {} };
  if (io.isTTY) {
    const bar = new SingleBar(
      { format: 'sweep [{bar}] {value}/{total} seeds | {failed} failed | eta {eta_text}', hideCursor: true, stream: io.terminal },
      Presets.shades_classic,
    );
    let failed = 0;
    let done = 0;
    const started = Date.now();
    bar.start(total, 0, { failed, eta_text: etaText(0, 0, total) });
    return {
      seedDone: (r) => {
        if (!r.passed) failed++;
        done++;
        bar.increment(1, { failed, eta_text: etaText(Date.now() - started, done, total) });
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
