// One row of the `nbd` bench in a process of its own (nbd.bench.ts spawns it): warm-up runs of
// this row's configuration only, then the timed runs; prints one JSON line: the timed runs, each
// with the host probes' times beside it (host-probe.ts).
// A process that has run all eight configurations runs each ~10–20 % slower (call sites seen with
// trace on and off, cache on and off, go polymorphic); a scenario run is one configuration.
import { Session } from 'node:inspector';
import { buildNbdStack, dropClientCache, runRandread, type NbdStackOptions } from './nbd-stack.ts';
import { hostProbe, type ProbedRun } from './host-probe.ts';
import { printProfile, type CpuProfile } from './profile.ts';

export const IOS = 20_000;
export const QD = 32;
/** Warm-up of this configuration, at least this long, so the timed runs do not pay for the JIT. */
const WARM_MS = 3000;
const WARM_RUNS = 4;
const MEASURE_MS = 1500;

/** One timed run of a row, with the host probes' times beside it. */
export interface RowRun extends ProbedRun {
  reqs: number;
  events: number;
  wallNs: number;
  cpuNs: number;
  rxBytes: number;
  hits: number;
  simNs: number;
}

/** Samples of the timed windows only (builds and fills not included), merged into one profile. */
export class WindowProfiler {
  private readonly s = new Session();
  readonly merged: Required<CpuProfile> = { nodes: [], samples: [], timeDeltas: [] };
  private base = 0;

  constructor() {
    this.s.connect();
    this.post('Profiler.enable');
    this.post('Profiler.setSamplingInterval', { interval: 200 });
  }

  private post(method: string, params: object = {}): { profile?: CpuProfile } {
    let out: { profile?: CpuProfile } = {};
    // The in-process session answers synchronously.
    this.s.post(method, params, (err, r) => {
      if (err) throw err;
      out = r as { profile?: CpuProfile };
    });
    return out;
  }

  start(): void {
    this.post('Profiler.start');
  }

  stop(): void {
    const p = this.post('Profiler.stop').profile!;
    const b = this.base;
    for (const n of p.nodes) this.merged.nodes.push({ ...n, id: n.id + b, children: n.children?.map((c) => c + b) });
    for (const x of p.samples ?? []) this.merged.samples.push(x + b);
    this.merged.timeDeltas.push(...(p.timeDeltas ?? []));
    this.base += 1 + p.nodes.reduce((m, n) => Math.max(m, n.id), 0);
  }
}

/**
 * Every run of a row, warm-up and timed, serves one stack, with no forced collection between runs:
 * the steady state of one world, as a scenario run is. Until the sixth round a row built a fresh
 * stack per timed run and collected the old one first (docs/measurements.md): that full collection
 * freed the hidden classes of the dead stack's objects, V8 deoptimised every function compiled
 * against them (~24, "weak objects" in --trace-deopt), and each timed run began in unoptimised code,
 * paying ~27 TurboFan compiles on the other core (the rows' CPU share of ~130 %).
 */
export function measureRow(o: NbdStackOptions, profiler: WindowProfiler | null): RowRun[] {
  const s = buildNbdStack(o);
  const blocks = s.nbd.device.cache.blocks;
  const rx = s.machine.host('client').nic.stats.rx;
  const timedRun = (): RowRun => {
    const e0 = s.engine.eventsRun;
    const rx0 = rx.bytes;
    const hits0 = blocks.counters.hits;
    dropClientCache(s);
    const before = hostProbe();
    profiler?.start();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = runRandread(s, IOS, QD);
    const wallNs = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    profiler?.stop();
    const after = hostProbe();
    const probeNs = before.map((ns, i) => Math.max(ns, after[i]!));
    return {
      reqs: r.jobs[0]!.read.ios, events: s.engine.eventsRun - e0, wallNs, cpuNs: (cpu.user + cpu.system) * 1000,
      rxBytes: rx.bytes - rx0, hits: blocks.counters.hits - hits0, simNs: r.endNs - r.startNs, probeNs,
    };
  };
  const warm0 = process.hrtime.bigint();
  // The warm-up ends with a timed run of its own (not kept), so the probes are compiled too.
  for (let i = 0; i < WARM_RUNS || Number(process.hrtime.bigint() - warm0) < WARM_MS * 1e6; i++) {
    dropClientCache(s);
    runRandread(s, IOS, QD);
  }
  timedRun();
  const runs: RowRun[] = [];
  const start = process.hrtime.bigint();
  while (runs.length === 0 || Number(process.hrtime.bigint() - start) < MEASURE_MS * 1e6) runs.push(timedRun());
  s.release();
  return runs;
}

// Child entry: `nbd-row.ts '{"trace":false,"connections":4,"cache":false}' [--profile]`.
if (process.argv[1] === import.meta.filename) {
  const o = JSON.parse(process.argv[2] ?? '') as NbdStackOptions;
  const profiler = process.argv.includes('--profile') ? new WindowProfiler() : null;
  console.log(JSON.stringify(measureRow(o, profiler)));
  if (profiler) printProfile(`Profile of the timed runs (cache ${o.cache ? 'on' : 'off'}, ${o.connections} conn, trace ${o.trace ? 'on' : 'off'})`, profiler.merged, 25);
}
