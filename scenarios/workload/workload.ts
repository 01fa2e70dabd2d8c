/**
 * The workload engine: runs fio-like jobs against a block device of one host's kernel and
 * reports IOPS, bandwidth and latency percentiles per job group and op kind. Random offsets come
 * from the streams `<host>/workload/<job>.<instance>/offsets` (and `/mix` for randrw).
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { OpHook } from './history.ts';
import { JobInstance, type JobHost } from './job.ts';
import { OP_KINDS, OpStats, type JobReport, type WorkloadReport } from './report.ts';
import { resolveJob, type Job, type JobSpec } from './spec.ts';
import { Verifier } from './verify.ts';

export interface WorkloadOptions {
  /** Every completed operation (for the safety checker). */
  onOp?: OpHook;
  /** Called once when every job has finished. */
  onDone?: (r: WorkloadReport) => void;
}

export class Workload implements JobHost {
  readonly jobs: Job[];
  readonly verifier: Verifier | null;
  readonly onOp: OpHook | null;
  private readonly instances: JobInstance[] = [];
  private startNs: Ns = 0;
  /** Start time of each job group (groups with `after` start late). */
  private readonly groupStart = new Map<string, Ns>();
  private readonly delayed = new Set<string>();
  private running = 0;
  private contentIds = 0;
  private started = false;
  private readonly src: string;

  constructor(private readonly k: Kernel, private readonly disk: GenDisk, specs: JobSpec[], private readonly opts: WorkloadOptions = {}) {
    if (specs.length === 0) throw new Error(`workload on ${disk.name}: no jobs`);
    this.jobs = specs.map((s) => resolveJob(s, disk.capacityBytes));
    const names = new Set<string>();
    for (const j of this.jobs) {
      if (names.has(j.name)) throw new Error(`workload on ${disk.name}: two jobs named '${j.name}'`);
      names.add(j.name);
    }
    for (const j of this.jobs) {
      if (j.after !== undefined && (!names.has(j.after) || j.after === j.name)) {
        throw new Error(`job '${j.name}': after = '${j.after}' names no other job of this workload`);
      }
    }
    this.verifier = this.jobs.some((j) => j.verify) ? new Verifier() : null;
    this.onOp = opts.onOp ?? null;
    this.src = `${k.host}/workload/${disk.name}`;
    let id = 0;
    for (const j of this.jobs) {
      for (let i = 0; i < j.numjobs; i++) {
        const cpu = j.cpu ?? id % k.cores;
        if (!Number.isInteger(cpu) || cpu < 0 || cpu >= k.cores) throw new RangeError(`job '${j.name}': cpu ${cpu} is not a core of ${k.host}`);
        this.instances.push(new JobInstance(this, disk, j, id, i, cpu, k.rng(`workload/${j.name}.${i}/offsets`), k.rng(`workload/${j.name}.${i}/mix`),
          j.compressPercent !== undefined ? k.rng(`workload/${j.name}.${i}/data`) : undefined));
        id++;
      }
    }
  }

  now(): Ns {
    return this.k.now();
  }

  later(delayNs: Ns, fn: () => void): void {
    this.k.engine.schedule(delayNs, fn, 'workload.retry');
  }

  nextContentId(): number {
    return this.contentIds++;
  }

  /** Starts every job now. */
  start(): void {
    if (this.started) throw new Error(`workload on ${this.disk.name} already started`);
    this.started = true;
    this.startNs = this.k.now();
    this.running = this.instances.length;
    this.k.emit(`workload/${this.disk.name}`, 'workload.start', { jobs: this.jobs.map((j) => j.name) });
    for (const j of this.jobs) if (j.after === undefined) this.startGroup(j);
  }

  private startGroup(j: Job): void {
    if (j.startDelayNs > 0 && !this.delayed.has(j.name)) {
      this.delayed.add(j.name);
      this.k.engine.schedule(j.startDelayNs, () => this.startGroup(j), 'workload.job.delay');
      return;
    }
    this.groupStart.set(j.name, this.k.now());
    this.k.engine.trace.emit(this.src, 'workload.job.start', { job: j.name });
    for (const inst of this.instances) if (inst.job === j) inst.start();
  }

  get done(): boolean {
    return this.started && this.running === 0;
  }

  jobFinished(j: JobInstance): void {
    this.running--;
    this.k.engine.trace.emit(this.src, 'workload.job.done', { job: j.job.name, instance: j.instance, t: j.lastCompletionNs });
    if (this.instances.every((i) => i.job !== j.job || i.finished)) {
      for (const next of this.jobs) if (next.after === j.job.name) this.startGroup(next);
    }
    if (this.running === 0) {
      const r = this.report();
      const t = r.jobs.map((x) => ({ job: x.name, read: x.read.ios, write: x.write.ios, flush: x.flush.ios, trim: x.trim.ios }));
      this.k.engine.trace.emit(this.src, 'workload.done', { jobs: t, violations: r.verify.violations });
      this.opts.onDone?.(r);
    }
  }

  report(): WorkloadReport {
    const jobs: JobReport[] = [];
    let end = this.startNs;
    for (const j of this.jobs) {
      const merged = OP_KINDS.map(() => new OpStats());
      const start = this.groupStart.get(j.name) ?? this.startNs;
      let last = start;
      let issued = 0;
      let running = 0;
      let stoppedByError = 0;
      for (const inst of this.instances) {
        if (inst.job !== j) continue;
        issued += inst.issued;
        if (!inst.finished) running++;
        if (inst.failed) stoppedByError++;
        for (let k = 0; k < merged.length; k++) merged[k]!.merge(inst.stats[k]!);
        if (inst.lastCompletionNs > last) last = inst.lastCompletionNs;
      }
      const span = last - start;
      if (last > end) end = last;
      jobs.push({
        name: j.name, numjobs: j.numjobs, runtimeNs: span,
        read: merged[0]!.report(span), write: merged[1]!.report(span), flush: merged[2]!.report(span), trim: merged[3]!.report(span),
        issued, running, stoppedByError,
      });
    }
    const v = this.verifier;
    return {
      startNs: this.startNs, endNs: end, jobs,
      verify: { chunksChecked: v?.checked ?? 0, chunksUnchecked: v?.unchecked ?? 0, violations: v?.violations ?? 0, messages: v ? [...v.messages] : [] },
    };
  }
}
