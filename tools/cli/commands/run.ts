import { loadScenario } from '../../../scenarios/schema/load.ts';
import { action, type CommandModule } from '../command.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.ts';
import { renderSummary, runJson } from '../format/summary.ts';
import { checkInjection, durationArg, replayCommand, seedArg } from '../options.ts';
import { checkDeterminism, runOnce } from '../run-once.ts';

interface RunFlags {
  seed?: number;
  until?: number;
  trace?: string;
  pcap?: string;
  report?: string;
  progress?: boolean;
  json?: boolean;
  swarm?: boolean;
  checkDeterminism?: boolean;
  inject?: string;
}

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
      .action(
        action(ctx, async (file: string, f: RunFlags) => {
          const s = loadScenario(file);
          const seed = f.seed ?? s.seeds[0]!;
          const runner = await ctx.loadRunner();
          checkInjection(f.inject, runner.faultInjections);
          const variant = { swarm: f.swarm, untilNs: f.until, faultInjection: f.inject };
          if (f.checkDeterminism) {
            if (f.trace !== undefined || f.pcap !== undefined || f.report !== undefined) throw new UsageError('--check-determinism', 'cannot be combined with --trace, --pcap or --report');
            const { diff, result } = checkDeterminism(runner, s, seed, variant);
            const failed = result.expectations.filter((e) => !e.ok).map((e) => e.name);
            const verdict = result.passed ? '' : `; but the run FAILED its checks${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`;
            if (diff === undefined) {
              ctx.io.stdout(`deterministic: seed ${seed} gives the same records and digest twice${verdict}\n`);
              if (result.passed) return EXIT_OK;
              ctx.io.stderr(`replay: ${replayCommand(file, seed, variant)}\n`);
              return EXIT_FAILED;
            }
            ctx.io.stdout(`NOT deterministic at seed ${seed}: ${diff}\n`);
            ctx.io.stderr(`replay: ${replayCommand(file, seed, variant)} --check-determinism\n`);
            return EXIT_FAILED;
          }
          const show = f.progress === true ? 'always' : f.progress === false || f.json || !ctx.io.isTTY ? 'never' : 'long';
          const stop = new AbortController();
          const onSigint = () => stop.abort();
          if (show !== 'never') process.once('SIGINT', onSigint);
          let out;
          try {
            out = await runOnce(runner, s, { ...variant, seed, trace: f.trace, pcap: f.pcap, report: f.report, version: ctx.version },
              show === 'never' ? undefined : { io: ctx.io, show, signal: stop.signal });
          } finally {
            process.removeListener('SIGINT', onSigint);
          }
          if ('interrupted' in out) {
            ctx.io.stdout(out.interrupted);
            return EXIT_INTERRUPTED;
          }
          const r = out.result;
          const replay = replayCommand(file, seed, variant);
          if (f.json) ctx.io.stdout(`${JSON.stringify(runJson(r, replay))}\n`);
          else ctx.io.stdout(renderSummary(r, replay));
          if (!r.passed) {
            if (f.json) ctx.io.stderr(`replay: ${replay}\n`);
            return EXIT_FAILED;
          }
          return EXIT_OK;
        }),
      );
  },
};
