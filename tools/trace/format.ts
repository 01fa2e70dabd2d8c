import { digestOfRecords, serialiseRecord, type TraceRecord } from '../../hw-sim/engine/trace.ts';
import { InputError } from '../../drivers/nbd/config/errors.ts';
import { readInputText } from '../../scenarios/schema/read.ts';

/**
 * A trace file is JSONL: a header line, then one record per line, `{t, seq, src, kind, data}`.
 * The header says what produced it, so `replay` can re-run it and compare digests.
 */
export interface TraceHeader {
  readonly orion_trace: 1;
  /** Scenario file path as given to `run`. */
  readonly scenario: string;
  /** SHA-256 of the scenario file's text. */
  readonly scenarioHash: string;
  readonly seed: number;
  /** orion-sim version that wrote it. */
  readonly version: string;
  /** Set for a swarm run: the seed also drew the fault mix. */
  readonly swarm?: boolean;
  /** Set when the run stopped early (`run --until`). */
  readonly untilNs?: number;
  /** Set for a deliberately broken build (`run --inject HOOK`). */
  readonly faultInjection?: string;
  /** git commit of the code that wrote it (absent outside a git checkout). */
  readonly commit?: string;
}

export interface TraceFile {
  readonly header: TraceHeader;
  readonly records: TraceRecord[];
}

export function headerLine(h: TraceHeader): string {
  return `${JSON.stringify(h)}\n`;
}

/** One record as a JSONL line (field order fixed, so equal records give equal lines). */
export function recordLine(r: TraceRecord): string {
  return `${JSON.stringify({ t: r.t, seq: r.seq, src: r.src, kind: r.kind, data: r.data })}\n`;
}

function isHeader(v: unknown): v is TraceHeader {
  if (v === null || typeof v !== 'object') return false;
  const h = v as Record<string, unknown>;
  return h['orion_trace'] === 1 && typeof h['scenario'] === 'string' && typeof h['scenarioHash'] === 'string' &&
    Number.isSafeInteger(h['seed']) && typeof h['version'] === 'string';
}

function isRecord(v: unknown): v is TraceRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return Number.isSafeInteger(r['t']) && Number.isSafeInteger(r['seq']) && typeof r['src'] === 'string' && typeof r['kind'] === 'string' &&
    (r['data'] === undefined || (typeof r['data'] === 'object' && r['data'] !== null));
}

/** Reads and checks a trace file; a bad line is an InputError naming the file and the line. */
export function readTrace(path: string): TraceFile {
  const lines = readInputText(path, (reason) => new InputError(path, '', reason)).split('\n');
  const parse = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]!);
    } catch {
      throw new InputError(path, '', 'not a JSON line', i + 1);
    }
  };
  if (lines[0] === undefined || lines[0].trim() === '') throw new InputError(path, '', 'empty trace file', 1);
  const header = parse(0);
  if (!isHeader(header)) throw new InputError(path, '', 'not an orion-sim trace: the first line must be {"orion_trace":1,"scenario",...}', 1);
  const records: TraceRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const r = parse(i);
    if (!isRecord(r)) throw new InputError(path, '', 'not a trace record {t, seq, src, kind, data}', i + 1);
    records.push(r);
  }
  return { header, records };
}

/** The engine's digest, recomputed from records. */
export function traceDigest(records: Iterable<TraceRecord>): string {
  return digestOfRecords(records);
}

/** First index where two record sequences differ, or -1 when they are equal. */
export function firstDifference(a: readonly TraceRecord[], b: readonly TraceRecord[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (serialiseRecord(a[i]!) !== serialiseRecord(b[i]!)) return i;
  return a.length === b.length ? -1 : n;
}
