/**
 * `[expect] cpu_busy`: the client is CPU-bound. The busiest of its cores must have been busy for
 * at least the given fraction of the run (the CPU model's busy time: the I/O path's costs that ran,
 * not work still queued), which a run whose costs go uncharged cannot reach.
 */
import type { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { Ns } from '../schema/types.ts';
import type { ExpectationResult, JobResult } from './types.ts';

export function cpuBusyVerdict(cpu: Cpu, endNs: Ns, min: number): ExpectationResult {
  let busiest = 0;
  for (let c = 0; c < cpu.cores; c++) busiest = Math.max(busiest, endNs > 0 ? cpu.busyNs(c) / endNs : 0);
  const actual = Math.round(busiest * 1000) / 1000;
  return { name: 'cpu_busy', ok: busiest >= min, actual, limit: min, unit: 'fraction' };
}

/** `[expect] iops_max`: all jobs together stayed under the ceiling (a CPU-bound run cannot go faster). */
export function iopsMaxVerdict(jobs: readonly JobResult[], max: number): ExpectationResult {
  const iops = jobs.reduce((a, j) => a + j.iops, 0);
  return { name: 'iops_max', ok: iops <= max, actual: Math.round(iops), limit: max, unit: 'iops' };
}
