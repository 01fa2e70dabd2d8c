import { closeSync } from 'node:fs';
import { requestTimelines, stagePercentiles, type RequestTimeline } from '../../trace/latency.ts';
import { renderTable } from '../format/table.ts';
import { formatNs } from '../format/units.ts';
import { exportTrace, type ExportFormat } from '../../trace/export.ts';
import { readTrace } from '../../trace/format.ts';
import { openOutput, writeOutput } from '../../trace/writer.ts';
import type { CliContext } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { hasWireBytes, pcapOfTrace } from '../trace-pcap.ts';

/** `trace export`: Perfetto JSON, JSONL or pcap, to stdout or -o FILE. */
export async function traceExport(ctx: CliContext, file: string, opts: { format: ExportFormat; output?: string }): Promise<number> {
  const t = readTrace(file);
  // A trace of `run --trace` has no packet bytes: pcap re-runs it (digest-checked).
  const out = opts.format === 'pcap' && !hasWireBytes(t) ? await pcapOfTrace(ctx, t, file) : exportTrace(t, opts.format, file);
  if (opts.output !== undefined) {
    const fd = openOutput(opts.output);
    try {
      writeOutput(fd, opts.output, out);
    } finally {
      closeSync(fd);
    }
  }
  else if (typeof out === 'string') ctx.io.stdout(out.endsWith('\n') ? out : `${out}\n`);
  else ctx.io.stdoutBytes(out);
  return EXIT_OK;
}

/** `trace latency`: per-stage percentiles per op, or one request's timeline. */
export function traceLatency(ctx: CliContext, file: string, opts: { request?: number; json?: boolean }): number {
  const ts = requestTimelines(readTrace(file).records);
  if (opts.request !== undefined) {
    const t = ts.find((x) => x.id === opts.request);
    if (!t) throw new UsageError('--request', `no completed request ${opts.request} in ${file} (ids ${ts.length > 0 ? `${ts[0]!.id}..${ts[ts.length - 1]!.id}` : 'none'})`);
    ctx.io.stdout(opts.json ? `${JSON.stringify(t)}\n` : requestText(t));
    return EXIT_OK;
  }
  const p = stagePercentiles(ts);
  if (opts.json) ctx.io.stdout(`${JSON.stringify(p)}\n`);
  else for (const [op, rows] of Object.entries(p)) {
    ctx.io.stdout(`${op}: ${rows['end to end']!.count} requests\n${renderTable(['stage', 'p50', 'p90', 'p99', 'max'], Object.entries(rows).map(([s, r]) => [s, formatNs(r.p50), formatNs(r.p90), formatNs(r.p99), formatNs(r.max)]))}\n`);
  }
  return EXIT_OK;
}

function requestText(t: RequestTimeline): string {
  const head = `request ${t.id}: ${t.op}${t.offset !== undefined ? ` offset ${t.offset} length ${t.length}` : ''}${t.server ? ` via server ${t.server}` : ''}, ${formatNs(t.totalNs)} end to end\n`;
  let at = t.points.start!;
  const rows = t.stages.map(([s, ns]) => { const from = at; at += ns; return [formatNs(from), formatNs(ns), s]; });
  return head + renderTable(['from', 'took', 'stage'], rows);
}
