/** What `probe` prints about an export, in the shape nbdinfo prints it (text and JSON). */
import type { NegotiatedExport } from '../../drivers/nbd/protocol/handshake-types.ts';
import {
  NBD_FLAG_CAN_MULTI_CONN, NBD_FLAG_READ_ONLY, NBD_FLAG_ROTATIONAL, NBD_FLAG_SEND_CACHE, NBD_FLAG_SEND_DF,
  NBD_FLAG_SEND_FAST_ZERO, NBD_FLAG_SEND_FLUSH, NBD_FLAG_SEND_FUA, NBD_FLAG_SEND_TRIM, NBD_FLAG_SEND_WRITE_ZEROES,
  NBD_STATE_HOLE, NBD_STATE_ZERO, NBD_OPT_EXTENDED_HEADERS, NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_COMPRESSION,
  NBD_OPT_ORION_UDP_TRANSPORT, NBD_ORION_CHECKSUM_CRC32C, NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4, NBD_REP_NAMES,
} from '../../drivers/nbd/protocol/uapi.ts';

/** The boolean properties nbdinfo lists, in its order, with the flag behind each. */
const PROPERTIES: readonly [string, number][] = [
  ['is_rotational', NBD_FLAG_ROTATIONAL], ['is_read_only', NBD_FLAG_READ_ONLY], ['can_cache', NBD_FLAG_SEND_CACHE],
  ['can_df', NBD_FLAG_SEND_DF], ['can_fast_zero', NBD_FLAG_SEND_FAST_ZERO], ['can_flush', NBD_FLAG_SEND_FLUSH],
  ['can_fua', NBD_FLAG_SEND_FUA], ['can_multi_conn', NBD_FLAG_CAN_MULTI_CONN], ['can_trim', NBD_FLAG_SEND_TRIM],
  ['can_zero', NBD_FLAG_SEND_WRITE_ZEROES],
];

export interface ExportReport {
  'export-name': string;
  description?: string;
  'export-size': number;
  uri: string;
  contexts: string[];
  'transmission-flags': number;
  [property: string]: unknown;
}

export function protocolLine(x: NegotiatedExport): string {
  const packets = x.extendedHeaders ? 'extended' : x.structuredReplies ? 'structured' : 'simple';
  return `protocol: newstyle-fixed ${x.tls ? 'with' : 'without'} TLS, using ${packets} packets`;
}

export function exportReport(x: NegotiatedExport, uri: string): ExportReport {
  const r: ExportReport = {
    'export-name': x.exportName, 'export-size': x.size, uri, contexts: Object.keys(x.metaContexts),
    'transmission-flags': x.transmissionFlags,
  };
  if (x.description) r.description = x.description;
  for (const [name, flag] of PROPERTIES) r[name] = (x.transmissionFlags & flag) !== 0;
  r.block_size_minimum = x.minBlock;
  r.block_size_preferred = x.prefBlock;
  r.block_size_maximum = x.maxPayload;
  return r;
}

/** 64M, 1.5G, 512 — nbdinfo's human size. */
export function humanSize(n: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? String(n) : `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}

export function formatExport(r: ExportReport): string {
  const lines = [`export="${r['export-name']}":`];
  if (r.description) lines.push(`\tdescription: ${r.description}`);
  lines.push(`\texport-size: ${r['export-size']} (${humanSize(r['export-size'])})`, `\turi: ${r.uri}`);
  if (r.contexts.length > 0) lines.push('\tcontexts:', ...r.contexts.map((c) => `\t\t${c}`));
  for (const [name] of PROPERTIES) lines.push(`\t${name}: ${r[name] as boolean}`);
  lines.push(`\tblock_size_minimum: ${r.block_size_minimum as number}`, `\tblock_size_preferred: ${r.block_size_preferred as number}`,
    `\tblock_size_maximum: ${r.block_size_maximum as number}`);
  return lines.join('\n') + '\n';
}

/** One --map line: offset, length, type, description (nbdinfo's layout). */
export function mapLine(offset: number, length: number, flags: number): string {
  const desc = [flags & NBD_STATE_HOLE ? 'hole' : '', flags & NBD_STATE_ZERO ? 'zero' : ''].filter(Boolean).join(',') || 'data';
  return `${String(offset).padStart(10)}  ${String(length).padStart(10)}  ${String(flags).padStart(3)}  ${desc}\n`;
}

/** What probe asks every server for (all Orion extensions, every algorithm). */
export const PROBE_EXTENSIONS = {
  compression: [NBD_ORION_COMPRESS_LZ4, NBD_ORION_COMPRESS_DEFLATE], checksum: [NBD_ORION_CHECKSUM_CRC32C], udpTransport: true,
};

const EXTENSION_NAMES: Record<number, string> = {
  [NBD_OPT_EXTENDED_HEADERS]: 'extended-headers', [NBD_OPT_ORION_COMPRESSION]: 'compression',
  [NBD_OPT_ORION_CHECKSUM]: 'checksum', [NBD_OPT_ORION_UDP_TRANSPORT]: 'udp-transport',
};
const ALGORITHM_NAMES: Record<number, Record<number, string>> = {
  [NBD_OPT_ORION_COMPRESSION]: { [NBD_ORION_COMPRESS_LZ4]: 'lz4', [NBD_ORION_COMPRESS_DEFLATE]: 'deflate' },
  [NBD_OPT_ORION_CHECKSUM]: { [NBD_ORION_CHECKSUM_CRC32C]: 'crc32c' },
};

/** Each extension asked for → the algorithm granted, true (granted, no algorithm), or the refusal. */
export function extensionReport(x: NegotiatedExport): Record<string, string | boolean> {
  const r: Record<string, string | boolean> = {};
  for (const o of x.extensions) {
    const name = EXTENSION_NAMES[o.option] ?? `option-0x${o.option.toString(16)}`;
    if (o.granted) r[name] = ALGORITHM_NAMES[o.option]?.[o.algorithm] ?? (o.algorithm === 0 ? true : String(o.algorithm));
    else r[name] = `refused (${NBD_REP_NAMES[o.replyType] ?? `0x${o.replyType.toString(16)}`})`;
  }
  return r;
}

/** `extensions: compression=lz4 checksum=refused (NBD_REP_ERR_UNSUP) ...`, or '' when none was asked. */
export function extensionsLine(x: NegotiatedExport): string {
  const r = extensionReport(x);
  const parts = Object.entries(r).map(([k, v]) => `${k}=${v === true ? 'yes' : String(v)}`);
  return parts.length > 0 ? `extensions: ${parts.join(' ')}` : '';
}
