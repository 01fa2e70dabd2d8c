import { expect } from 'vitest';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';

/** The loader's message for a scenario it must refuse (fails the test if it loads). */
export function scenarioRefusal(text: string): string {
  try {
    parseScenario(text, 's.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}
