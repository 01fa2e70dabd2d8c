import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../drivers/nbd/config/units.ts';
import { UsageError } from './errors.ts';

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

/** Options that change what a run does, so a replay must repeat them. */
export interface RunVariant {
  readonly swarm?: boolean | undefined;
  readonly untilNs?: number | undefined;
  readonly faultInjection?: string | undefined;
}

/** The RunOptions fields of a variant (absent keys stay absent). */
export function variantOptions(v: RunVariant): { swarm?: boolean; untilNs?: number; faultInjection?: string } {
  return {
    ...(v.swarm ? { swarm: true } : {}),
    ...(v.untilNs !== undefined ? { untilNs: v.untilNs } : {}),
    ...(v.faultInjection !== undefined ? { faultInjection: v.faultInjection } : {}),
  };
}

/** The one-line command that re-runs one seed of a scenario exactly. */
export function replayCommand(scenarioFile: string, seed: number, v: RunVariant = {}): string {
  const extra = [
    ...(v.swarm ? ['--swarm'] : []),
    ...(v.untilNs !== undefined ? ['--until', `${v.untilNs}ns`] : []),
    ...(v.faultInjection !== undefined ? ['--inject', v.faultInjection] : []),
  ];
  return ['npx', 'orion-sim', 'run', scenarioFile, '--seed', String(seed), ...extra]
    .map(shellQuote)
    .join(' ');
}

/** Rejects a fault-injection hook the runner does not know (when it lists them). */
export function checkInjection(hook: string | undefined, known: readonly string[] | undefined): void {
  if (hook !== undefined && known !== undefined && !known.includes(hook)) {
    throw new UsageError('--inject', `unknown hook "${hook}" (known: ${known.join(', ')})`);
  }
}
