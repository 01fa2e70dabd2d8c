import { lazy, type CommandModule } from '../command.ts';
import { durationArg, seedArg } from '../options.ts';

/** `run SCENARIO [--seed N] [--until T] [--trace FILE] [--pcap FILE] [--json] [--check-determinism]`. */
export const runCommand: CommandModule = {
  name: 'run',
  register(program, ctx) {
    program
      .command('run')
      .description('run a scenario with one seed; exit 0 when every expectation holds, 1 when one fails')
      .argument('<scenario>', 'scenario TOML file')
      .option('--seed <n>', 'seed (default: the first of [scenario] seeds)', seedArg)
      .option('--until <time>', 'stop at this virtual time, e.g. 2.5s', durationArg)
      .option('--trace <file>', 'write every trace record (JSONL) to FILE')
      .option('--pcap <file>', 'write every packet on the virtual wires to FILE (pcap)')
      .option('--report <file>', 'write a self-contained HTML page with charts of the run (latency, throughput, states, faults)')
      .option('--progress', 'show virtual time reached and events/s while running (default on a terminal once a run takes 2 s); Ctrl-C then prints a partial summary')
      .option('--no-progress', 'no progress line')
      .option('--json', 'print one JSON object instead of the summary')
      .option('--swarm', 'let the seed also draw the fault mix and rates')
      .option('--check-determinism', 'run twice and name the first trace record that differs')
      .option('--inject <hook>', 'test hook: a deliberately broken driver build (e.g. drop-acked-write)')
      .action(lazy(ctx, async () => (await import('../actions/run.ts')).run));
  },
};
