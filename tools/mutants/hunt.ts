/**
 * One mutant hunt: run a catalogued bug's killers with the bug switched on until one fails, and
 * confirm that the same run passes without the bug (a kill must be the bug's doing, not a
 * scenario that fails anyway).
 */
import { join } from 'node:path';
import { bugSpec, type BugKiller, type BugName } from '../../hw-sim/engine/bugs.ts';
import { runScenario } from '../../scenarios/runner/index.ts';
import type { RunResult } from '../../scenarios/runner/types.ts';
import { loadScenario } from '../../scenarios/schema/index.ts';
import type { Scenario } from '../../scenarios/schema/types.ts';

export const SCENARIO_DIR = join(import.meta.dirname, '../../scenarios');

export interface Kill {
  readonly scenario: string;
  readonly seed: number;
  readonly swarm: boolean;
  /** The first failed expectation (or violation) of the run with the bug on. */
  readonly why: string;
}

export interface MutantRow {
  readonly bug: string;
  readonly layer: string;
  /** Undefined: the bug survived every killer. */
  readonly killedBy: Kill | undefined;
  /** Runs made (with the bug on, plus the clean confirmation). */
  readonly runs: number;
  /** A killer whose clean run failed too (so it could not count), if any. */
  readonly flaky?: string;
}

const scenarios = new Map<string, Scenario>();

function scenarioOf(file: string): Scenario {
  let s = scenarios.get(file);
  if (!s) {
    s = loadScenario(join(SCENARIO_DIR, file));
    scenarios.set(file, s);
  }
  return s;
}

/** What made a run fail, in one line. */
export function whyFailed(r: RunResult): string {
  const e = r.expectations.find((x) => !x.ok);
  const detail = e?.name === 'safety' ? r.safetyViolations[0]?.message : e?.name === 'liveness' ? r.livenessViolations[0]?.message : undefined;
  const first = r.safetyViolations[0]?.message ?? r.livenessViolations[0]?.message;
  const what = e ? `${e.name}: ${detail ?? String(e.actual)}` : (first ?? 'failed');
  return what.split('\n')[0]!.slice(0, 160);
}

function seedsOf(k: BugKiller, s: Scenario): readonly number[] {
  return k.seeds ?? s.seeds;
}

export function hunt(name: BugName): MutantRow {
  const spec = bugSpec(name);
  let runs = 0;
  let flaky: string | undefined;
  for (const k of spec.killers) {
    const s = scenarioOf(k.scenario);
    const swarm = k.swarm === true;
    for (const seed of seedsOf(k, s)) {
      runs++;
      const r = runScenario(s, seed, { trace: true, swarm, faultInjection: name });
      if (r.passed) continue;
      runs++;
      const clean = runScenario(s, seed, { trace: true, swarm });
      if (!clean.passed) {
        flaky ??= `${k.scenario} seed ${seed}${swarm ? ' swarm' : ''} fails without the bug: ${whyFailed(clean)}`;
        continue;
      }
      return { bug: name, layer: spec.layer, killedBy: { scenario: k.scenario, seed, swarm, why: whyFailed(r) }, runs };
    }
  }
  return { bug: name, layer: spec.layer, killedBy: undefined, runs, ...(flaky ? { flaky } : {}) };
}

/** The table `npm run mutants` prints. */
export function formatTable(rows: readonly MutantRow[]): string {
  const head = ['bug', 'layer', 'killed by', 'why'];
  const body = rows.map((r) => [
    r.bug, r.layer,
    r.killedBy ? `${r.killedBy.scenario} seed ${r.killedBy.seed}${r.killedBy.swarm ? ' --swarm' : ''}` : 'SURVIVED',
    r.killedBy ? r.killedBy.why : (r.flaky ?? `${r.runs} run(s) passed with the bug on`),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => Math.min(b[i]!.length, i === 3 ? 100 : 60))));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 3 ? c.slice(0, 100) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const killed = rows.filter((r) => r.killedBy).length;
  return [line(head), ...body.map(line), '', `${killed} of ${rows.length} bugs killed`].join('\n');
}
