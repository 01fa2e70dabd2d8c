import { lazy, type CommandModule } from '../command.ts';
import { positiveIntArg } from '../options.ts';
import { parseSeedRange, parseShard } from '../seeds.ts';
import { MARK_NAMES } from '../sweep/marks.ts';

/**
 * `sweep SCENARIO --seeds A..B [--jobs N] [--shard I/N] [--swarm] [--json [FILE]] [--shrink]`, and
 * `sweep merge FILE...` over the --json FILE outputs of the shards of one sweep.
 */
export const sweepCommand: CommandModule = {
  name: 'sweep',
  register(program, ctx) {
    program
      .command('sweep')
      .description('run many seeds in parallel; exit 1 if any seed fails, listing their replay and shrink commands. `sweep merge FILE...` merges shard results')
      .argument('<scenario>', 'scenario TOML file (or `merge`)')
      .argument('[results...]', 'with `merge`: the --json FILE outputs of the shards')
      .option('--seeds <A..B>', 'inclusive seed range (default: the [scenario] seeds)', parseSeedRange)
      .option('--jobs <n>', 'worker threads', positiveIntArg, 1)
      .option('--shard <I/N>', 'run only shard I of N (seed s is in shard (s mod N) + 1)', parseShard)
      .option('--swarm', 'let each seed also draw the fault mix and rates')
      .option('--json [file]', 'print one JSON object at the end (or write it to FILE, for `sweep merge`)')
      .option('--inject <hook>', 'test hook: a deliberately broken driver build (e.g. drop-acked-write)')
      .option('--require-mark <name>', `fail (exit 1) when this coverage mark was never hit; repeatable (${MARK_NAMES.join(', ')})`, collectMark, [])
      .option('--shrink', 'shrink each failing seed to a minimal scenario (./NAME-seedN-min.toml) and print its reproduce command')
      .action(lazy(ctx, async () => (await import('../actions/sweep.ts')).sweep));
  },
};

const collectMark = (v: string, prev: string[]): string[] => [...prev, v];
