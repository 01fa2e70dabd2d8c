/**
 * `explain ID` in the stepper: where block request ID's time went up to the current event, hop by
 * hop (client, wire, server, disk), from the records that carry its id (tools/trace/latency.ts).
 */
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { requestSoFar } from '../../trace/latency.ts';
import { renderTable } from '../format/table.ts';
import { formatNs } from '../format/units.ts';

export function explainText(records: readonly TraceRecord[], id: number): string {
  const t = requestSoFar(records, id);
  if (!t) return `request ${id} has not been queued yet (ids are blk-mq rq ids, as in rq.queue)\n`;
  const where = `${t.op}${t.offset !== undefined ? ` offset ${t.offset} length ${t.length}` : ''}${t.server ? ` via server ${t.server}` : ''}`;
  const head = t.complete
    ? `request ${id}: ${where}, ${formatNs(t.totalNs)} end to end\n`
    : `request ${id}: ${where}, in flight for ${formatNs(t.totalNs)} so far (last stage reached below)\n`;
  let at = t.points.start!;
  const rows = t.stages.map(([s, ns]) => { const from = at; at += ns; return [formatNs(from), formatNs(ns), s]; });
  return `${head}${renderTable(['from', 'took', 'stage'], rows)}${records.length} records carry its id\n`;
}
