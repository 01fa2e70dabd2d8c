import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../drivers/nbd/config/units.ts';

/** Commander option parsers: a bad value becomes "option '--x <v>' argument 'y' is invalid. why". */
export function seedArg(v: string): number {
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError('a seed is a non-negative integer.');
  return Number(v);
}

export function durationArg(v: string): number {
  const r = parseDuration(v);
  if (!r.ok) throw new InvalidArgumentError(`${r.reason}.`);
  return r.value;
}

export function positiveIntArg(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new InvalidArgumentError('expected a positive integer.');
  return Number(v);
}

/** Quotes an argument for a shell line only when it needs it. */
export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The one-line command that re-runs one seed of a scenario exactly. */
export function replayCommand(scenarioFile: string, seed: number, swarm = false, untilNs?: number): string {
  const extra = [...(swarm ? ['--swarm'] : []), ...(untilNs !== undefined ? ['--until', `${untilNs}ns`] : [])];
  return ['npx', 'tsx', 'tools/bin/orion-sim.ts', 'run', scenarioFile, '--seed', String(seed), ...extra]
    .map(shellQuote)
    .join(' ');
}
