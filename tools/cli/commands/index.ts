import type { CommandModule } from '../command.ts';
import { mgmtCommand } from './mgmt.ts';
import { probeCommand } from './probe.ts';
import { replayCommand } from './replay.ts';
import { runCommand } from './run.ts';
import { serveCommand } from './serve.ts';
import { shrinkCommand } from './shrink.ts';
import { stepCommand } from './step.ts';
import { sweepCommand } from './sweep.ts';
import { traceCommand } from './trace.ts';
import { validateCommand } from './validate.ts';

/** Every orion-sim subcommand, in help order (probe and serve talk to real NBD peers over TCP). */
export const commands: readonly CommandModule[] = [
  runCommand,
  sweepCommand,
  replayCommand,
  shrinkCommand,
  stepCommand,
  mgmtCommand,
  traceCommand,
  validateCommand,
  probeCommand,
  serveCommand,
];
