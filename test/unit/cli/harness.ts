import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CliIo } from '../../../tools/cli/context.ts';
import { main } from '../../../tools/cli/main.ts';
import type { Runner } from '../../../scenarios/runner/types.ts';
import { runner } from './fake-runner.ts';

export const FAKE_RUNNER = new URL('./fake-runner.ts', import.meta.url).href;

export interface CliRun {
  code: number;
  out: string;
  err: string;
  bytes: Buffer;
}

/** Runs the CLI in this process with captured output and the fake runner (or `o.runner`, e.g. the real one). */
export async function cli(argv: string[], o: { stdin?: string; tty?: boolean; runner?: Runner } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const chunks: Buffer[] = [];
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdoutBytes: (b) => void chunks.push(Buffer.from(b)),
    stdin: Readable.from([o.stdin ?? '']),
    isTTY: o.tty ?? false,
    // A pretend terminal: what a progress bar draws lands in `err`.
    terminal: Object.assign(
      new Writable({
        write(chunk: Buffer | string, _enc, cb) {
          err += chunk.toString();
          cb();
        },
      }),
      { isTTY: o.tty ?? false, columns: 100 },
    ),
  };
  const code = await main(argv, { io, runner: o.runner ?? runner, runnerModule: FAKE_RUNNER });
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

/** A scratch directory with files written into it. */
export function scratch(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'orion-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A small valid scenario; `desc` steers the fake runner (fail-seeds=, throw-seeds=, nondeterministic). */
export function scenarioText(desc = '', extra = ''): string {
  return `[scenario]
name = "cli-test"
description = "${desc}"
seeds = [1, 2]

[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "16MiB"

[[job]]
name = "rr"
rw = "randread"
ios = 10

[[at]]
time = "3us"
action = "partition"
target = "client<->a"
duration = "1us"
${extra}`;
}
