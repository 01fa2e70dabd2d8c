import type { Runner } from '../../../scenarios/runner/types.ts';
import { loadScenario } from '../../../scenarios/schema/load.ts';
import type { Scenario } from '../../../scenarios/schema/types.ts';
import { importRunner } from '../context.ts';
import type { RunVariant } from '../options.ts';
import { runSeed, type SeedOutcome } from './outcome.ts';

/** A piscina task: one seed of one scenario. */
export interface SweepTask {
  readonly runnerModule: string;
  readonly scenarioFile: string;
  readonly seed: number;
  readonly variant: RunVariant;
}

// Each worker thread loads the scenario and the runner once and keeps them for its tasks.
const scenarios = new Map<string, Scenario>();
let runner: Promise<Runner> | undefined;

export default async function runTask(t: SweepTask): Promise<SeedOutcome> {
  runner ??= importRunner(t.runnerModule);
  let s = scenarios.get(t.scenarioFile);
  if (!s) {
    s = loadScenario(t.scenarioFile);
    scenarios.set(t.scenarioFile, s);
  }
  return runSeed(await runner, s, t.seed, t.variant);
}
