/** What a workload reports: per job group and op kind, IOPS, bandwidth and latency percentiles. */
import type { Ns } from '../../hw-sim/engine/time.ts';
import { Histogram, type LatencySummary } from '../../kernel/lib/histogram.ts';

export const OP_KINDS = ['read', 'write', 'flush', 'trim'] as const;
export type OpKind = (typeof OP_KINDS)[number];

export interface OpReport {
  ios: number;
  bytes: number;
  errors: number;
  iops: number;
  bytesPerSec: number;
  /** Completion latency (submit → end), ns. */
  lat: LatencySummary;
}

export interface VerifyReport {
  chunksChecked: number;
  /** Chunks a read could not judge: a trim had left their content undefined. */
  chunksUnchecked: number;
  violations: number;
  /** The first few violations, human readable. */
  messages: string[];
}

export interface JobReport {
  name: string;
  numjobs: number;
  /** From workload start to this group's last completion. */
  runtimeNs: Ns;
  read: OpReport;
  write: OpReport;
  flush: OpReport;
  /** Discards (rw = trim / randtrim). */
  trim: OpReport;
  /** I/Os issued by all instances (reads, writes, trims; not the flushes of fsync). */
  issued: number;
  /** Instances still running (slots busy) when the report was taken. */
  running: number;
  /** Instances that stopped issuing at an I/O error (continue_on_error off). */
  stoppedByError: number;
}

export interface WorkloadReport {
  startNs: Ns;
  endNs: Ns;
  jobs: JobReport[];
  verify: VerifyReport;
}

/** Counters of one op kind; merged across the instances of a job group. */
export class OpStats {
  ios = 0;
  bytes = 0;
  errors = 0;
  readonly lat = new Histogram();

  merge(o: OpStats): void {
    this.ios += o.ios;
    this.bytes += o.bytes;
    this.errors += o.errors;
    this.lat.merge(o.lat);
  }

  report(spanNs: Ns): OpReport {
    const s = spanNs / 1e9;
    return {
      ios: this.ios, bytes: this.bytes, errors: this.errors,
      iops: s > 0 ? this.ios / s : 0,
      bytesPerSec: s > 0 ? this.bytes / s : 0,
      lat: this.lat.summary(),
    };
  }
}

/** One line per job group and op kind, fio-style. */
export function formatReport(r: WorkloadReport): string {
  const lines: string[] = [];
  const us = (ns: number): string => (ns / 1000).toFixed(1);
  for (const j of r.jobs) {
    for (const k of OP_KINDS) {
      const o = j[k];
      if (o.ios === 0) continue;
      lines.push(
        `${j.name} ${k}: ios=${o.ios} iops=${o.iops.toFixed(0)} bw=${(o.bytesPerSec / 1048576).toFixed(1)}MiB/s ` +
          `lat(us) p50=${us(o.lat.p50)} p90=${us(o.lat.p90)} p99=${us(o.lat.p99)} p99.9=${us(o.lat.p999)} max=${us(o.lat.max)}` +
          (o.errors ? ` errors=${o.errors}` : ''),
      );
    }
  }
  lines.push(`verify: ${r.verify.chunksChecked} chunks checked, ${r.verify.chunksUnchecked} unchecked after trims, ${r.verify.violations} violations`);
  return lines.join('\n');
}
