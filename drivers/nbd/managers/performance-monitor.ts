import { interval, map, type Observable } from 'rxjs';
import type { Engine } from '../../../hw-sim/engine/index.ts';
import { EngineScheduler } from '../../../hw-sim/engine/index.ts';
import { Histogram, type LatencySummary } from '../../../kernel/lib/histogram.ts';
import { ThroughputMeter, type Rates } from '../../../kernel/lib/throughput.ts';
import type { StatsTree } from '../../../kernel/core/stats.ts';

/** Operation classes measured separately, in REQ_OP order (REQ_OP.READ = 0 … WRITE_ZEROES = 4). */
export const PERF_OPS = ['read', 'write', 'flush', 'trim', 'write-zeroes'] as const;
export type PerfOp = (typeof PERF_OPS)[number];

export interface PerfSnapshot {
  t: number;
  ops: Record<PerfOp, LatencySummary>;
  /** Since the monitor started. */
  read: Rates;
  write: Rates;
  /** Over the last complete window. */
  readWindow: Rates;
  writeWindow: Rates;
  errors: number;
  errorsPerSec: number;
  connects: number;
  disconnects: number;
  connectsPerSec: number;
  disconnectsPerSec: number;
  connections: Array<{ conn: number; latency: LatencySummary }>;
  servers: Array<{ server: number; latency: LatencySummary }>;
}

/**
 * Latency histograms per op, per connection and per server; throughput/IOPS windows; error and
 * connection rates. Recording is three histogram inserts (one bucket lookup) and a meter add per completion.
 */
export class PerformanceMonitor {
  readonly byOp: Histogram[] = PERF_OPS.map(() => new Histogram());
  readonly byConn: Histogram[] = [];
  readonly byServer: Histogram[] = [];
  readonly readMeter: ThroughputMeter;
  readonly writeMeter: ThroughputMeter;
  errors = 0;
  connects = 0;
  disconnects = 0;
  private startNs: number;
  /** Snapshots every `windowMs` of virtual time while subscribed (cold: no timer otherwise). */
  readonly metrics$: Observable<PerfSnapshot>;

  constructor(private readonly engine: Engine, windowMs = 1000) {
    this.readMeter = new ThroughputMeter(windowMs * 1_000_000);
    this.writeMeter = new ThroughputMeter(windowMs * 1_000_000);
    this.startNs = engine.now;
    this.readMeter.start(engine.now);
    this.writeMeter.start(engine.now);
    this.metrics$ = interval(windowMs, new EngineScheduler(engine, 'nbd.metrics')).pipe(map(() => this.snapshot()));
  }

  /** One completed request of op class `op` (index into PERF_OPS). */
  record(op: number, conn: number, server: number, latencyNs: number, bytes: number, now: number): void {
    Histogram.recordEach(latencyNs, this.byOp[op]!, this.byConn[conn] ??= new Histogram(), this.byServer[server] ??= new Histogram());
    if (op === 0) this.readMeter.add(now, bytes);
    else if (op === 1) this.writeMeter.add(now, bytes);
  }

  snapshot(): PerfSnapshot {
    const now = this.engine.now;
    const span = (now - this.startNs) / 1e9;
    const ops = {} as Record<PerfOp, LatencySummary>;
    PERF_OPS.forEach((name, i) => { ops[name] = this.byOp[i]!.summary(); });
    return {
      t: now,
      ops,
      read: this.readMeter.total(now),
      write: this.writeMeter.total(now),
      readWindow: this.readMeter.lastWindow(now),
      writeWindow: this.writeMeter.lastWindow(now),
      errors: this.errors,
      errorsPerSec: span > 0 ? this.errors / span : 0,
      connects: this.connects,
      disconnects: this.disconnects,
      connectsPerSec: span > 0 ? this.connects / span : 0,
      disconnectsPerSec: span > 0 ? this.disconnects / span : 0,
      connections: this.byConn.flatMap((h, conn) => (h ? [{ conn, latency: h.summary() }] : [])),
      servers: this.byServer.flatMap((h, server) => (h ? [{ server, latency: h.summary() }] : [])),
    };
  }

  /** Publishes the per-op percentiles and rates under `prefix` (e.g. `block/nbd0/perf`). */
  publish(stats: StatsTree, prefix: string): void {
    PERF_OPS.forEach((name, i) => {
      const h = this.byOp[i]!;
      stats.gauge(`${prefix}/${name}/count`, () => h.count);
      stats.gauge(`${prefix}/${name}/p50_ns`, () => h.percentile(50));
      stats.gauge(`${prefix}/${name}/p99_ns`, () => h.percentile(99));
      stats.gauge(`${prefix}/${name}/p999_ns`, () => h.percentile(99.9));
      stats.gauge(`${prefix}/${name}/max_ns`, () => h.max);
    });
    stats.gauge(`${prefix}/read/iops`, () => this.readMeter.total(this.engine.now).iops);
    stats.gauge(`${prefix}/read/bytes_per_sec`, () => this.readMeter.total(this.engine.now).bytesPerSec);
    stats.gauge(`${prefix}/write/iops`, () => this.writeMeter.total(this.engine.now).iops);
    stats.gauge(`${prefix}/write/bytes_per_sec`, () => this.writeMeter.total(this.engine.now).bytesPerSec);
    stats.gauge(`${prefix}/read/window_iops`, () => this.readMeter.lastWindow(this.engine.now).iops);
    stats.gauge(`${prefix}/write/window_iops`, () => this.writeMeter.lastWindow(this.engine.now).iops);
    stats.gauge(`${prefix}/errors`, () => this.errors);
    stats.gauge(`${prefix}/connects`, () => this.connects);
    stats.gauge(`${prefix}/disconnects`, () => this.disconnects);
  }
}
