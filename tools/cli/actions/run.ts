import { loadScenario } from '../../../scenarios/schema/load.ts';
import type { CliContext } from '../context.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.ts';
import { renderSummary, runJson } from '../format/summary.ts';
import { checkInjection, replayCommand } from '../options.ts';
import { checkDeterminism, runOnce } from '../run-once.ts';

/** Flags of `run` (commands/run.ts declares the options that set them). */
export interface RunFlags {
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

/** `run`: one seed, its summary (or --json), exit 0 when every expectation holds. */
export async function run(ctx: CliContext, file: string, f: RunFlags): Promise<number> {
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
}
