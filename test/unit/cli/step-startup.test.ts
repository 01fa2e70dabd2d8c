// The stepper's first prompt does not wait for the simulator: the runner bundle loads behind it.
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../tools/cli/context.ts';
import { main } from '../../../tools/cli/main.ts';
import { scenarioText, scratch } from './harness.ts';

// A runner module that notes when it is evaluated, and is no runner (using it is an error).
const RUNNER = 'globalThis.orionStepRunnerEvaluated = true;\nexport const runner = {};\n';

async function step(stdin: string): Promise<{ code: number; out: string; err: string; runnerAtPrompt: unknown }> {
  const dir = scratch({ 's.toml': scenarioText(), 'runner.mjs': RUNNER });
  const g = globalThis as { orionStepRunnerEvaluated?: boolean };
  delete g.orionStepRunnerEvaluated;
  let out = '';
  let err = '';
  let runnerAtPrompt: unknown = 'no prompt';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => {
      if (t.startsWith('(orion-sim') && runnerAtPrompt === 'no prompt') runnerAtPrompt = g.orionStepRunnerEvaluated ?? false;
      err += t;
    },
    stdoutBytes: () => {},
    stdin: Readable.from([stdin]),
    isTTY: true,
    terminal: process.stderr,
  };
  const code = await main(['step', join(dir, 's.toml')], { io, runnerModule: pathToFileURL(join(dir, 'runner.mjs')).href });
  return { code, out, err, runnerAtPrompt };
}

describe('step: the first prompt', () => {
  it('is up before the runner module is even evaluated', async () => {
    const r = await step('');
    expect(r.runnerAtPrompt).toBe(false);
    expect(r.err).toBe('(orion-sim 0ns) ');
    expect(r.out).toBe('stepping cli-test seed 1; `help` lists commands\n');
    expect(r.code).toBe(0);
  });

  it('a runner that cannot be used still fails the first command clearly (one line, no stack trace)', async () => {
    const r = await step('next\n');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('does not export runner: Runner');
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
