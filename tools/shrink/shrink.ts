/**
 * Shrinking a failing run: the scenario document is reduced while the run, with the same seed,
 * keeps failing the same way (its failure signature: the same checker and the same kind of
 * violation). First the swarm's draw is written into the document (so its faults become plain
 * [[at]] events and link rates), then delta debugging over the [[at]] events (ddmin), then
 * smaller values one at a time (candidates.ts) until none is accepted or the budget is spent.
 */
import { stringify } from 'smol-toml';
import type { RunResult, Runner } from '../../scenarios/runner/types.ts';
import { parseScenario } from '../../scenarios/schema/load.ts';
import { candidates, cloneDoc, type Doc, type Table } from './candidates.ts';
import { materialiseSwarm } from './swarm.ts';

export interface ShrinkOptions {
  readonly seed: number;
  readonly swarm: boolean;
  readonly faultInjection?: string | undefined;
  /** Most runs to spend (each candidate is one run). */
  readonly maxRuns: number;
  /** Where the candidate is written (names it in error messages). */
  readonly file: string;
  readonly log?: (line: string) => void;
}

export interface RunSize {
  readonly events: number;
  readonly ios: number;
  readonly virtualTimeNs: number;
  readonly faults: number;
}

export interface ShrinkResult {
  readonly signature: string;
  readonly before: RunSize;
  readonly after: RunSize;
  readonly runs: number;
  /** The minimal document as TOML text (seeds = [seed]). */
  readonly text: string;
  readonly steps: readonly string[];
  /** The minimal run still needs --swarm (the draw could not be written out and keep the failure). */
  readonly swarm: boolean;
}

/** The checkers and kinds a run failed with, most specific first: safety:<kind>, liveness, expect:<name>. */
export function signatureOf(r: RunResult): string[] {
  const sig = new Set<string>();
  for (const v of r.safetyViolations) sig.add(`safety:${v.kind}`);
  if (r.livenessViolations.length > 0) sig.add('liveness');
  for (const e of r.expectations) if (!e.ok) sig.add(`expect:${e.name}`);
  return [...sig];
}

const sizeOf = (r: RunResult): RunSize => ({
  events: r.events, ios: r.jobs.reduce((n, j) => n + j.ios, 0), virtualTimeNs: r.virtualTimeNs, faults: r.faults.length,
});

export function shrink(runner: Runner, doc: Doc, o: ShrinkOptions): ShrinkResult {
  let runs = 0;
  const log = o.log ?? (() => {});
  const run = (d: Doc, swarm: boolean): RunResult | undefined => {
    runs++;
    try {
      const s = parseScenario(stringify(d), o.file);
      return runner.runScenario(s, o.seed, { trace: false, ...(swarm ? { swarm: true } : {}), ...(o.faultInjection ? { faultInjection: o.faultInjection } : {}) });
    } catch {
      return undefined; // an invalid candidate (refused by the loader) or a run that threw: not the same failure
    }
  };
  const first = run(doc, o.swarm);
  if (!first) throw new Error(`${o.file}: seed ${o.seed} does not run (the scenario is refused or the run throws)`);
  if (first.passed) throw new Error(`${o.file}: seed ${o.seed} passes${o.faultInjection ? ` with --inject ${o.faultInjection}` : ''}; there is no failure to shrink`);
  const signature = signatureOf(first)[0]!;
  const keeps = (d: Doc, swarm: boolean): RunResult | undefined => {
    if (runs >= o.maxRuns) return undefined;
    const r = run(d, swarm);
    return r && !r.passed && signatureOf(r).includes(signature) ? r : undefined;
  };
  const steps: string[] = [];
  let cur = cloneDoc(doc);
  let swarm = o.swarm;
  let last = first;
  if (swarm) {
    const drawn = materialiseSwarm(runner, cur, o.seed, o.faultInjection);
    const r = drawn && keeps(drawn, false);
    if (drawn && r) { cur = drawn; swarm = false; last = r; steps.push('swarm draw written into the scenario'); log('swarm draw written out'); }
  }
  // ddmin over the [[at]] events: drop chunks, then finer chunks, while the failure stays.
  let ats = Array.isArray(cur['at']) ? (cur['at'] as Table[]) : [];
  for (let n = 2; ats.length > 0;) {
    const chunk = Math.ceil(ats.length / n);
    let dropped = false;
    for (let i = 0; i < ats.length && runs < o.maxRuns; i += chunk) {
      const rest = [...ats.slice(0, i), ...ats.slice(i + chunk)];
      const d = { ...cur, at: rest };
      const r = keeps(d, swarm);
      if (r) {
        steps.push(`dropped ${ats.length - rest.length} [[at]] event(s): ${ats.slice(i, i + chunk).map((a) => a['action']).join(', ')}`);
        log(steps.at(-1)!);
        cur = d; ats = rest; last = r; dropped = true;
        n = Math.max(n - 1, 2);
        break;
      }
    }
    if (dropped) continue;
    if (chunk <= 1 || runs >= o.maxRuns) break;
    n = Math.min(ats.length, n * 2);
  }
  // Smaller values, one at a time, until a whole round accepts nothing.
  for (let progress = true; progress && runs < o.maxRuns;) {
    progress = false;
    for (const c of candidates(cur)) {
      const d = cloneDoc(cur);
      c.apply(d);
      const r = keeps(d, swarm);
      if (r) { cur = d; last = r; progress = true; steps.push(c.what); log(c.what); }
      if (runs >= o.maxRuns) break;
    }
  }
  const out = cloneDoc(cur);
  if (Array.isArray(out['at']) && out['at'].length === 0) delete out['at'];
  const sc = (out['scenario'] ?? {}) as Table;
  out['scenario'] = { ...sc, name: `${String(sc['name'])}-min`, seeds: [o.seed], description: `shrunk from ${String(sc['name'])} seed ${o.seed}: still fails with ${signature}` };
  return { signature, before: sizeOf(first), after: sizeOf(last), runs, text: stringify(out), steps, swarm };
}
