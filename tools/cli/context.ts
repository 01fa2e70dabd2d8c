import { readFileSync } from 'node:fs';
import type { Runner } from '../../scenarios/runner/types.ts';
import { RunError } from './errors.ts';
import { PACKAGE_JSON, RUNNER_MODULE } from './paths.ts';

/** Where the CLI writes and reads; tests pass buffers instead of the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Writes bytes to stdout (pcap to a pipe). */
  stdoutBytes(bytes: Uint8Array): void;
  readonly stdin: NodeJS.ReadableStream;
  /** stderr is a terminal: show progress bars and prompts. */
  readonly isTTY: boolean;
  /** The terminal stream progress bars draw on (stderr). */
  readonly terminal: NodeJS.WritableStream;
}

export interface CliContext {
  readonly io: CliIo;
  /** Module that exports `runner: Runner` (a file URL or path); sweep workers import it too. */
  readonly runnerModule: string;
  /** The runner, loaded from runnerModule on first use unless injected. */
  loadRunner(): Promise<Runner>;
  readonly version: string;
  /** Exit status the last action asked for. */
  exitCode: number;
}

export const DEFAULT_RUNNER_MODULE = RUNNER_MODULE;

/** Imports a runner module and checks that it exports `runner` with runScenario. */
export async function importRunner(spec: string): Promise<Runner> {
  let mod: { runner?: Runner };
  try {
    mod = (await import(spec)) as { runner?: Runner };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(spec)) {
      throw new RunError('the simulator runner is not wired yet: scenarios/runner/index.ts must export `runner: Runner`');
    }
    throw e;
  }
  if (!mod.runner || typeof mod.runner.runScenario !== 'function') throw new RunError(`${spec} does not export runner: Runner`);
  return mod.runner;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export function processIo(): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    stdoutBytes: (b) => void process.stdout.write(b),
    stdin: process.stdin,
    isTTY: process.stderr.isTTY === true,
    terminal: process.stderr,
  };
}

export interface ContextOptions {
  io?: CliIo;
  runner?: Runner;
  runnerModule?: string;
}

export function createContext(opts: ContextOptions = {}): CliContext {
  const runnerModule = opts.runnerModule ?? process.env['ORION_SIM_RUNNER'] ?? DEFAULT_RUNNER_MODULE;
  let loaded: Promise<Runner> | undefined = opts.runner ? Promise.resolve(opts.runner) : undefined;
  return {
    io: opts.io ?? processIo(),
    runnerModule,
    loadRunner: () => (loaded ??= importRunner(runnerModule)),
    version: packageVersion(),
    exitCode: 0,
  };
}
