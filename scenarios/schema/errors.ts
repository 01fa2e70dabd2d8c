import { InputError } from '../../drivers/nbd/config/errors.ts';

/** A bad scenario file: unknown key, wrong type, bad unit, dangling reference or TOML syntax. */
export class ScenarioError extends InputError {
  constructor(file: string, keyPath: string, reason: string, line?: number, column?: number) {
    super(file, keyPath, reason, line, column);
    this.name = 'ScenarioError';
  }
}
