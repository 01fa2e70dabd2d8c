/**
 * The `[[job]]`s of a scenario on their block devices: one workload per device (content ids stay
 * unique on it) behind the history tap, started once the device is ready — an NBD device when
 * its driver is up with a capacity, a RAM disk at once. Each job starts at its own `start`
 * (the workload's startDelayNs from the moment the workload starts).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import { createRamdisk } from '../../drivers/ramdisk/driver.ts';
import type { Host } from '../machine/host.ts';
import { isRamDevice, ramDiskBytes } from '../schema/workload.ts';
import type { JobSpec, Scenario } from '../schema/types.ts';
import type { JobSpec as WorkloadJob } from '../workload/spec.ts';
import { Workload } from '../workload/workload.ts';
import type { ClientNbd } from './client-nbd.ts';
import type { HistoryTap } from './history-tap.ts';

/** Queue depth of the read-back of written blocks after verify jobs. */
const READ_BACK_DEPTH = 16;
/** IRQ line of RAM disk ramN: RAM_IRQ_BASE + N (the NIC has 10-12). */
const RAM_IRQ_BASE = 20;

export interface JobsContext {
  readonly engine: Engine;
  readonly client: Host;
  /** The first NBD device; undefined in a scenario without servers. */
  readonly nbd: ClientNbd | undefined;
  /** Every NBD device by name (a job runs on the one it names). */
  readonly nbds?: ReadonlyMap<string, ClientNbd>;
  /** The tapped view of a block device of the client. */
  tapOf(device: string): HistoryTap;
}

export interface JobsRun {
  readonly workloads: readonly Workload[];
  /** Per device with verify jobs: when its read-back of every written block started. */
  readonly readBacks: ReadonlyMap<string, number>;
  /** Devices whose workload (and read-back) has not finished. */
  left(): number;
}

/** Creates the RAM disks the jobs name, then schedules every device's workload. */
export function startJobs(s: Scenario, ctx: JobsContext): JobsRun {
  const byDevice = new Map<string, JobSpec[]>();
  for (const j of s.jobs) {
    const list = byDevice.get(j.device) ?? [];
    list.push(j);
    byDevice.set(j.device, list);
  }
  const k = ctx.client.kernel;
  for (const device of byDevice.keys()) {
    if (!isRamDevice(device)) continue;
    createRamdisk(k, device, { irq: RAM_IRQ_BASE + Number(device.slice(3)), sizeBytes: ramDiskBytes(s.jobs.map(sizeOf), device), scheduler: s.machine.ioScheduler });
  }
  const workloads: Workload[] = [];
  const readBacks = new Map<string, number>();
  let left = 0;
  for (const [device, jobs] of byDevice) {
    const tap = ctx.tapOf(device);
    left++;
    const startNs = Math.min(...jobs.map((j) => j.startNs));
    const run = (ok: boolean): void => {
      if (!ok) {
        // The device failed before any I/O (e.g. TLS refused): nothing runs, the result says why.
        left--;
        return;
      }
      const now = ctx.engine.now;
      const verify = jobs.some((j) => j.verify);
      const w = new Workload(k, tap, jobs.map((j) => toWorkloadJob(j, now)), {
        onDone: () => {
          if (!verify) { left--; return; }
          // After the last heal, so the read-back proves what survived every fault (not an EIO window's errors).
          ctx.engine.scheduleAt(Math.max(ctx.engine.now, s.lastHealNs), () => {
            readBacks.set(device, ctx.engine.now);
            tap.readBack(READ_BACK_DEPTH, () => { left--; });
          }, 'runner.read-back');
        },
      });
      if (w.verifier) w.verifier.prefilled = tap.prefilled;
      workloads.push(w);
      w.start();
    };
    const nbd = ctx.nbds?.get(device) ?? ctx.nbd;
    ctx.engine.scheduleAt(startNs, () => {
      if (isRamDevice(device) || !nbd) run(true);
      else whenReady(nbd, run);
    }, 'runner.jobs.start');
  }
  return { workloads, readBacks, left: () => left };
}

function sizeOf(j: JobSpec): { device: string; offset: number; size: number } {
  return { device: j.device, offset: j.offsetBytes, size: j.sizeBytes };
}

/** Calls `fn(true)` once the device is up with a capacity, or `fn(false)` if it fails first. */
function whenReady(nbd: ClientNbd, fn: (ok: boolean) => void): void {
  const dev = nbd.device;
  let done = false;
  const check = (): void => {
    if (done) return;
    const st = dev.state;
    if ((st === 'ready' || st === 'degraded') && nbd.disk.capacityBytes > 0) {
      done = true;
      fn(true);
    } else if (st === 'failed' || st === 'disconnected') {
      done = true;
      fn(false);
    }
  };
  check();
  if (!done) {
    const sub = dev.actor.subscribe(() => {
      check();
      if (done) sub.unsubscribe();
    });
  }
}

/** A scenario job for the workload engine started at `nowNs`: `start` becomes the delay still to wait. */
export function toWorkloadJob(j: JobSpec, nowNs: number): WorkloadJob {
  return {
    name: j.name, rw: j.rw, bs: j.bsBytes, iodepth: j.iodepth, numjobs: j.numjobs, size: j.sizeBytes, offset: j.offsetBytes,
    rwmixread: j.rwmixread, fsyncEvery: j.fsyncEvery, verify: j.verify, startDelayNs: Math.max(0, j.startNs - nowNs),
    continueOnError: j.continueOnError, fua: j.fuaPercent, writeZeroes: j.writeZeroesPercent,
    ...(j.bsMaxBytes !== undefined ? { bsMax: j.bsMaxBytes } : {}),
    ...(j.compressPercent !== undefined ? { compressPercent: j.compressPercent } : {}),
    ...(j.hotSpot ? { hotSize: j.hotSpot.sizeBytes, hotShare: j.hotSpot.share } : {}),
    ...(j.runtimeNs !== undefined ? { runtimeNs: j.runtimeNs } : {}), ...(j.ios !== undefined ? { ios: j.ios } : {}),
  };
}
