import { InvalidArgumentError, Option } from 'commander';
import type { ExportFormat } from '../../trace/export.ts';
import { lazy, type CommandModule } from '../command.ts';

/** tools/trace/export.ts's EXPORT_FORMATS, spelled out so `--help` does not load the exporters (a test keeps them equal). */
export const TRACE_FORMATS: readonly ExportFormat[] = ['perfetto', 'jsonl', 'pcap'];

/** `trace export TRACE --format perfetto|jsonl|pcap [-o FILE]`, `trace latency TRACE [--request ID]`. */
export const traceCommand: CommandModule = {
  name: 'trace',
  register(program, ctx) {
    const trace = program.command('trace').description('work with trace files written by `run --trace`');
    trace
      .command('export')
      .description('convert a trace: Perfetto/Chrome JSON (ui.perfetto.dev), JSONL, or pcap of its packet bytes')
      .argument('<trace>', 'trace file (JSONL) from `run --trace`')
      .addOption(new Option('--format <format>', 'output format').choices(TRACE_FORMATS).makeOptionMandatory())
      .option('-o, --output <file>', 'write here instead of stdout')
      .action(lazy(ctx, async () => (await import('../actions/trace.ts')).traceExport));
    trace
      .command('latency')
      .description('where every microsecond went: per-stage latency percentiles per op, or one request\'s timeline (--request ID)')
      .argument('<trace>', 'trace file (JSONL) from `run --trace`')
      .option('--request <id>', 'one request (its blk-mq rq id, as in rq.queue)', (v: string) => {
        if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError('a request id is a non-negative integer.');
        return Number(v);
      })
      .option('--json', 'print JSON')
      .action(lazy(ctx, async () => (await import('../actions/trace.ts')).traceLatency));
  },
};
