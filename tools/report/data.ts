/**
 * The report's data, shaped for the charts: latency per op in time bins (p50, p99, max), latency
 * CDFs, throughput and IOPS per bin, per-connection and per-server spread, state bands, timeline
 * marks and the expectations. Times in ms of virtual time, latencies in µs, rates in MB/s.
 */
import type { RunResult } from '../../scenarios/runner/types.ts';
import { formatValue } from '../cli/format/units.ts';
import { REPORT_OPS, type ReportCollector, type TimelineMark } from './collect.ts';

const BINS = 200;
const CDF_POINTS = 500;

export interface ReportData {
  readonly title: string;
  readonly summary: readonly [string, string][];
  readonly passed: boolean;
  readonly expectations: readonly { ok: boolean; name: string; actual: string; limit: string }[];
  readonly endMs: number;
  readonly latency: { readonly tMs: number[]; readonly ops: Record<string, { p50: (number | null)[]; p99: (number | null)[]; max: (number | null)[] }> };
  /** Latency values (µs, ascending) and, per op, the fraction of its requests at or below each. */
  readonly cdf: { readonly us: number[]; readonly ops: Record<string, number[]> };
  readonly rate: { readonly tMs: number[]; readonly mbps: number[]; readonly iops: number[] };
  readonly conns: readonly { name: string; requests: number; mb: number; p50us: number | null; p99us: number | null }[];
  readonly servers: readonly { name: string; requests: number; mb: number }[];
  readonly states: readonly { machine: string; spans: { startMs: number; endMs: number; state: string }[] }[];
  readonly marks: readonly (Omit<TimelineMark, 'atNs'> & { atMs: number })[];
}

/** The CDF of each op at one shared set of latencies (each op's CDF_POINTS quantiles, merged). */
function cdfOf(sortedByOp: (Float64Array | undefined)[]): ReportData['cdf'] {
  const xs = new Set<number>();
  for (const s of sortedByOp) {
    if (!s) continue;
    const n = Math.min(CDF_POINTS, s.length);
    for (let i = 1; i <= n; i++) xs.add(quantile(s, i / n));
  }
  const sortedXs = [...xs].sort((a, b) => a - b);
  const ops: Record<string, number[]> = {};
  sortedByOp.forEach((s, k) => {
    if (!s) return;
    // Requests at or below x: the first index whose value exceeds x (binary search).
    ops[REPORT_OPS[k]!] = sortedXs.map((x) => {
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      return lo / s.length;
    });
  });
  return { us: sortedXs.map(us), ops };
}

/** Value at quantile q (0..1) of sorted values, nearest rank. */
function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const us = (ns: number) => Math.round(ns / 10) / 100;

export function reportData(c: ReportCollector, r: RunResult, replay: string): ReportData {
  const endNs = Math.max(r.virtualTimeNs, 1);
  const binNs = endNs / BINS;
  const tMs = Array.from({ length: BINS }, (_, i) => ((i + 0.5) * binNs) / 1e6);
  const done = c.doneNs.view();
  const lat = c.latencyNs.view();
  const opOf = c.op.view();
  const bytes = c.bytes.view();
  const perBin: number[][][] = REPORT_OPS.map(() => Array.from({ length: BINS }, () => []));
  const binBytes = new Array<number>(BINS).fill(0);
  const binIos = new Array<number>(BINS).fill(0);
  const all: number[][] = REPORT_OPS.map(() => []);
  for (let i = 0; i < done.length; i++) {
    const b = Math.min(BINS - 1, Math.floor(done[i]! / binNs));
    const op = opOf[i]!;
    perBin[op]![b]!.push(lat[i]!);
    all[op]!.push(lat[i]!);
    binBytes[b]! += bytes[i]!;
    // IOPS count reads, writes and trims, as fio does; a flush moves no data.
    if (REPORT_OPS[op] !== 'flush') binIos[b]!++;
  }
  const latency: ReportData['latency'] = { tMs, ops: {} };
  const sortedByOp: Float64Array[] = [];
  REPORT_OPS.forEach((op, k) => {
    if (all[k]!.length === 0) return;
    const series = { p50: [] as (number | null)[], p99: [] as (number | null)[], max: [] as (number | null)[] };
    for (const vals of perBin[k]!) {
      if (vals.length === 0) {
        series.p50.push(null);
        series.p99.push(null);
        series.max.push(null);
        continue;
      }
      vals.sort((a, b) => a - b);
      series.p50.push(us(quantile(vals, 0.5)));
      series.p99.push(us(quantile(vals, 0.99)));
      series.max.push(us(vals[vals.length - 1]!));
    }
    latency.ops[op] = series;
    sortedByOp[k] = Float64Array.from(all[k]!).sort();
  });
  const cdf = cdfOf(sortedByOp);
  const secPerBin = binNs / 1e9;
  const rate = { tMs, mbps: binBytes.map((b) => Math.round(b / secPerBin / 1e4) / 100), iops: binIos.map((n) => Math.round(n / secPerBin)) };
  const conns = [...c.conns].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, s]) => {
    const sorted = s.latencies.sort((a, b) => a - b);
    return {
      name, requests: s.requests, mb: Math.round(s.bytes / 1e4) / 100,
      p50us: sorted.length > 0 ? us(quantile(sorted, 0.5)) : null,
      p99us: sorted.length > 0 ? us(quantile(sorted, 0.99)) : null,
    };
  });
  const servers = [...c.servers].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => ({ name, requests: s.requests, mb: Math.round(s.bytes / 1e4) / 100 }));
  const states = [...c.states].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([machine, spans]) => ({
    machine,
    spans: spans.map((s, i) => ({ startMs: s.startNs / 1e6, endMs: (spans[i + 1]?.startNs ?? endNs) / 1e6, state: s.state })),
  }));
  const bw = r.jobs.reduce((a, j) => a + j.bandwidthBytesPerSec * 8, 0);
  return {
    title: `${r.scenario} seed ${r.seed}`,
    summary: [
      ['scenario', r.scenario], ['seed', String(r.seed)], ['verdict', r.passed ? 'PASSED' : 'FAILED'],
      ['virtual time', formatValue(r.virtualTimeNs, 'ns')], ['requests', String(done.length)],
      ['bandwidth (all jobs)', formatValue(bw, 'bit/s')], ['events', String(r.events)], ['digest', r.digest], ['replay', replay],
    ],
    passed: r.passed,
    expectations: r.expectations.map((e) => ({ ok: e.ok, name: e.name, actual: formatValue(e.actual, e.unit), limit: formatValue(e.limit, e.unit) })),
    endMs: endNs / 1e6,
    latency, cdf, rate, conns, servers, states,
    marks: c.marks.map((m) => ({ atMs: m.atNs / 1e6, label: m.label, kind: m.kind })),
  };
}
