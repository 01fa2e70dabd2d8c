/**
 * The simulator runner behind the orion-sim CLI: `runner.runScenario(scenario, seed, opts)`
 * builds the world, runs it and checks it; `runner.openSession` gives the stepper a paused run.
 */
import type { Scenario } from '../schema/types.ts';
import { resultOf, runWorldSafely, thrownResult } from './run.ts';
import { openSession } from './session.ts';
import type { RunOptions, RunResult, Runner } from './types.ts';
import { buildWorld, FAULT_INJECTIONS } from './world.ts';

export function runScenario(scenario: Scenario, seed: number, opts: RunOptions = {}): RunResult {
  const w = buildWorld(scenario, seed, opts);
  // A simulator exception is a failed run (with its replay command), never a pass or a crash.
  runWorldSafely(w, opts.untilNs);
  try {
    if (w.end !== 'threw') return resultOf(w);
    try {
      return resultOf(w);
    } catch (err) {
      return thrownResult(w, err);
    }
  } finally {
    w.release();
  }
}

export const runner: Runner = { runScenario, openSession, faultInjections: FAULT_INJECTIONS };

export { buildWorld, type World } from './world.ts';
export { FAULT_INJECTIONS };
export type * from './types.ts';
