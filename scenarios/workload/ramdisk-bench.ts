/**
 * The block-layer benchmark body: 4 KiB randread at a given iodepth on a RAM disk, trace off.
 * tools/bench times it on the wall clock; this module only runs the simulation.
 */
import { Engine } from '../../hw-sim/engine/engine.ts';
import { Kernel, createHostHardware } from '../../kernel/core/kernel.ts';
import { createRamdisk } from '../../drivers/ramdisk/driver.ts';
import { Workload } from './workload.ts';
import type { WorkloadReport } from './report.ts';

export interface RamdiskBenchResult {
  ios: number;
  /** Virtual time the run took, ns. */
  simNs: number;
  events: number;
  report: WorkloadReport;
}

export function runRamdiskRandread(o: { ios: number; iodepth?: number; seed?: number; trace?: boolean }): RamdiskBenchResult {
  const engine = new Engine({ seed: o.seed ?? 1, trace: o.trace ?? false });
  const kernel = new Kernel(engine, 'bench', createHostHardware(engine, 'bench', { cores: 2 }));
  const rd = createRamdisk(kernel, 'ram0', { irq: 9, sizeBytes: 1 << 30, model: { latencyNs: 5_000, perByteNs: 0.1, queues: 4 } });
  const w = new Workload(kernel, rd.disk, [{ name: 'randread', rw: 'randread', bs: '4k', iodepth: o.iodepth ?? 32, ios: o.ios }]);
  w.start();
  const events = engine.run();
  const report = w.report();
  return { ios: report.jobs[0]!.read.ios, simNs: report.endNs - report.startNs, events, report };
}
