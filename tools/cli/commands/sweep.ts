import { loadScenario } from '../../../scenarios/schema/load.ts';
import { action, type CommandModule } from '../command.ts';
import { EXIT_FAILED, EXIT_OK } from '../errors.ts';
import { checkInjection, positiveIntArg, replayCommand } from '../options.ts';
import { parseSeedRange, parseShard, shardSeeds, type Shard } from '../seeds.ts';
import { runSeeds } from '../sweep/pool.ts';
import { createProgress } from '../sweep/progress.ts';
import { shrinkCommandLine, shrinkSummary, shrinkToFile } from '../../shrink/report.ts';

interface SweepFlags {
  seeds?: number[];
  jobs: number;
  shard?: Shard;
  swarm?: boolean;
  json?: boolean;
  inject?: string;
  shrink?: boolean;
}

/** `sweep SCENARIO --seeds A..B [--jobs N] [--shard I/N] [--swarm] [--json]`. */
export const sweepCommand: CommandModule = {
  name: 'sweep',
  register(program, ctx) {
    program
      .command('sweep')
      .description('run many seeds in parallel; exit 1 if any seed fails, listing their replay commands')
      .argument('<scenario>', 'scenario TOML file')
      .option('--seeds <A..B>', 'inclusive seed range (default: the [scenario] seeds)', parseSeedRange)
      .option('--jobs <n>', 'worker threads', positiveIntArg, 1)
      .option('--shard <I/N>', 'run only shard I of N (seed s is in shard (s mod N) + 1)', parseShard)
      .option('--swarm', 'let each seed also draw the fault mix and rates')
      .option('--json', 'print one JSON object at the end')
      .option('--inject <hook>', 'test hook: a deliberately broken driver build (e.g. drop-acked-write)')
      .option('--shrink', 'shrink each failing seed to a minimal scenario (./NAME-seedN-min.toml) and print its reproduce command')
      .action(
        action(ctx, async (file: string, f: SweepFlags) => {
          const s = loadScenario(file);
          const seeds = shardSeeds(f.seeds ?? s.seeds, f.shard);
          if (f.inject !== undefined) checkInjection(f.inject, (await ctx.loadRunner()).faultInjections);
          const variant = { swarm: f.swarm === true, faultInjection: f.inject };
          const progress = createProgress(ctx.io, seeds.length, f.json === true);
          const started = Date.now();
          let results;
          try {
            results = await runSeeds(ctx, s, seeds, f.jobs, variant, progress.seedDone);
          } finally {
            progress.stop();
          }
          const failed = results.filter((r) => !r.passed);
          const wallS = (Date.now() - started) / 1000;
          const shard = f.shard ? ` (shard ${f.shard.index}/${f.shard.count})` : '';
          if (f.json) {
            ctx.io.stdout(`${JSON.stringify({
              scenario: s.name,
              shard: f.shard ?? null,
              seeds: results.length,
              passed: results.length - failed.length,
              failed: failed.map((r) => ({ seed: r.seed, failures: r.failures, replay: replayCommand(file, r.seed, variant), shrink: shrinkCommandLine(file, r.seed, variant) })),
              results,
            })}\n`);
          } else {
            ctx.io.stdout(`${s.name}${shard}: ${results.length} seeds, ${results.length - failed.length} passed, ${failed.length} failed, ${wallS.toFixed(1)}s wall\n`);
            for (const r of failed) {
              ctx.io.stdout(`FAIL seed ${r.seed}: ${r.failures.join('; ')}\n  replay: ${replayCommand(file, r.seed, variant)}\n  shrink: ${shrinkCommandLine(file, r.seed, variant)}\n`);
            }
          }
          if (f.shrink && failed.length > 0) {
            const runner = await ctx.loadRunner();
            for (const r of failed) {
              const done = shrinkToFile(runner, { file, seed: r.seed, swarm: variant.swarm, faultInjection: f.inject, maxRuns: 300 });
              (f.json ? ctx.io.stderr : ctx.io.stdout)(`shrunk seed ${r.seed}:\n${shrinkSummary(done.result, done.out, done.reproduce).replace(/^/gm, '  ')}`);
            }
          }
          return failed.length > 0 ? EXIT_FAILED : EXIT_OK;
        }),
      );
  },
};
