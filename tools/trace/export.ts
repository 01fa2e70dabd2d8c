import { InputError } from '../../drivers/nbd/config/errors.ts';
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import { headerLine, recordLine, type TraceFile } from './format.ts';
import { PcapBuilder } from './pcap.ts';
import { toChromeTrace } from './perfetto.ts';

export const EXPORT_FORMATS = ['perfetto', 'jsonl', 'pcap'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Packet bytes in a trace: a record whose data has `wire` = the IPv4 packet as hex (what the
 * pcap tap emits when the run traced packet bytes).
 */
function wireBytes(r: TraceRecord): Uint8Array | undefined {
  const w = r.data?.['wire'];
  return typeof w === 'string' && /^([0-9a-f]{2})+$/i.test(w) ? Buffer.from(w, 'hex') : undefined;
}

/** Renders a trace in one export format: a string (JSON, JSONL) or bytes (pcap). */
export function exportTrace(trace: TraceFile, format: ExportFormat, file: string): string | Buffer {
  switch (format) {
    case 'perfetto':
      return JSON.stringify(toChromeTrace(trace.header, trace.records));
    case 'jsonl':
      return headerLine(trace.header) + trace.records.map(recordLine).join('');
    case 'pcap': {
      const pcap = new PcapBuilder();
      for (const r of trace.records) {
        const bytes = wireBytes(r);
        if (bytes) pcap.add(r.t, bytes);
      }
      if (pcap.count === 0) throw new InputError(file, '', 'the trace holds no packet bytes (records with data.wire); capture with `run --pcap FILE` instead');
      return pcap.toBuffer();
    }
  }
}
