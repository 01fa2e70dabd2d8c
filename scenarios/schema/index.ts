export * from './types.ts';
export { ScenarioError } from './errors.ts';
export { parseScenario, loadScenario } from './load.ts';
export { lastHealTime } from './heal.ts';
export { RW_MODES } from './workload.ts';
export { InputError, formatInputError } from '../../drivers/nbd/config/errors.ts';
