import { closeSync, writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { EXPORT_FORMATS, exportTrace, type ExportFormat } from '../../trace/export.ts';
import { readTrace } from '../../trace/format.ts';
import { openOutput } from '../../trace/writer.ts';
import { action, type CommandModule } from '../command.ts';
import { EXIT_OK } from '../errors.ts';
import { hasWireBytes, pcapOfTrace } from '../trace-pcap.ts';

/** `trace export TRACE --format perfetto|jsonl|pcap [-o FILE]`. */
export const traceCommand: CommandModule = {
  name: 'trace',
  register(program, ctx) {
    const trace = program.command('trace').description('work with trace files written by `run --trace`');
    trace
      .command('export')
      .description('convert a trace: Perfetto/Chrome JSON (ui.perfetto.dev), JSONL, or pcap of its packet bytes')
      .argument('<trace>', 'trace file (JSONL) from `run --trace`')
      .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).makeOptionMandatory())
      .option('-o, --output <file>', 'write here instead of stdout')
      .action(
        action(ctx, async (file: string, opts: { format: ExportFormat; output?: string }) => {
          const t = readTrace(file);
          // A trace of `run --trace` has no packet bytes: pcap re-runs it (digest-checked).
          const out = opts.format === 'pcap' && !hasWireBytes(t) ? await pcapOfTrace(ctx, t, file) : exportTrace(t, opts.format, file);
          if (opts.output !== undefined) {
            const fd = openOutput(opts.output);
            writeFileSync(fd, out);
            closeSync(fd);
          }
          else if (typeof out === 'string') ctx.io.stdout(out.endsWith('\n') ? out : `${out}\n`);
          else ctx.io.stdoutBytes(out);
          return EXIT_OK;
        }),
      );
  },
};
