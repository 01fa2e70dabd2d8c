/** Running a shrink from the CLI (`shrink`, `sweep --shrink`): write the file, say what changed. */
import { basename, resolve } from 'node:path';
import { checkOutput, writeOutput } from '../trace/writer.ts';
import type { Runner } from '../../scenarios/runner/types.ts';
import { parseToml } from '../../scenarios/schema/toml.ts';
import { readInputText } from '../../scenarios/schema/read.ts';
import { ScenarioError } from '../../scenarios/schema/errors.ts';
import { shrink, type RunSize, type ShrinkResult } from './shrink.ts';

export interface ShrinkRequest {
  readonly file: string;
  readonly seed: number;
  readonly swarm: boolean;
  readonly faultInjection?: string | undefined;
  readonly maxRuns: number;
  /** Output file; default ./<scenario file name>-seed<N>-min.toml */
  readonly out?: string | undefined;
}

export function defaultShrinkOut(file: string, seed: number): string {
  return `${basename(file).replace(/\.toml$/, '')}-seed${seed}-min.toml`;
}

/** Shrinks, writes the minimal scenario and returns it with its one-line reproduce command. */
export function shrinkToFile(runner: Runner, q: ShrinkRequest, log?: (l: string) => void): { result: ShrinkResult; out: string; reproduce: string } {
  const text = readInputText(q.file, (reason) => new ScenarioError(q.file, '', reason));
  const parsed = parseToml(text);
  if (!parsed.ok) throw new ScenarioError(q.file, '', parsed.reason, parsed.line, parsed.column);
  const out = q.out ?? defaultShrinkOut(q.file, q.seed);
  // Checked before the shrink's runs are spent: an unwritable --out is bad input, found at once
  // (and a shrink that fails leaves no file behind).
  checkOutput(out);
  const result = shrink(runner, parsed.doc, { seed: q.seed, swarm: q.swarm, faultInjection: q.faultInjection, maxRuns: q.maxRuns, file: q.file, ...(log ? { log } : {}) });
  const head = `# Shrunk by orion-sim shrink from ${q.file} seed ${q.seed}${q.faultInjection ? ` --inject ${q.faultInjection}` : ''}${q.swarm ? ' --swarm' : ''}\n# failure signature: ${result.signature}\n\n`;
  writeOutput(out, out, head + result.text);
  const reproduce = ['npx', 'orion-sim', 'run', resolve(out), '--seed', String(q.seed), ...(result.swarm ? ['--swarm'] : []), ...(q.faultInjection ? ['--inject', q.faultInjection] : [])].join(' ');
  return { result, out, reproduce };
}

const ms = (ns: number): string => `${(ns / 1e6).toFixed(3)}ms`;
const line = (s: RunSize): string => `${s.events} events, ${s.ios} I/Os, ${ms(s.virtualTimeNs)} virtual, ${s.faults} faults applied`;

export function shrinkSummary(r: ShrinkResult, out: string, reproduce: string): string {
  return `failure signature: ${r.signature}\n` +
    `before: ${line(r.before)}\n` +
    `after:  ${line(r.after)}   (${r.runs} runs, ${r.steps.length} reductions)\n` +
    `wrote ${out}\n  reproduce: ${reproduce}\n`;
}

/** The one-line command that shrinks one failing seed. */
export function shrinkCommandLine(file: string, seed: number, v: { swarm?: boolean | undefined; faultInjection?: string | undefined }): string {
  return ['npx', 'orion-sim', 'shrink', file, '--seed', String(seed), ...(v.swarm ? ['--swarm'] : []), ...(v.faultInjection !== undefined ? ['--inject', v.faultInjection] : [])].join(' ');
}
