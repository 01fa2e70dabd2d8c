import type { Ns } from '../engine/time.ts';

export type DiskOp = 'read' | 'write' | 'flush' | 'trim' | 'zero' | 'status';

/**
 * How long a disk takes. An op waits for one of `queueDepth` slots, spends its op latency
 * (access/seek, overlapping with other slots), then moves its bytes over a shared channel of
 * `bandwidth` bytes per second (transfers are serialised, so the total never exceeds it).
 */
export interface ServiceTimeModel {
  name: string;
  /** Fixed per-op latency in ns by op kind. */
  latencyNs: Record<DiskOp, Ns>;
  /** Bytes per second of the shared data channel (reads and writes). */
  bandwidth: number;
  /** Requests in service at once; further requests wait in FIFO order. */
  queueDepth: number;
  /** Relative standard deviation of the op latency (0 = none), drawn from the disk's jitter stream. */
  jitter: number;
}

function model(name: string, read: Ns, write: Ns, flush: Ns, meta: Ns, bandwidth: number, queueDepth: number, jitter: number): ServiceTimeModel {
  return { name, latencyNs: { read, write, flush, trim: meta, zero: meta, status: meta }, bandwidth, queueDepth, jitter };
}

/** Order-of-magnitude figures for each class of device (datasheet typicals, not a product). */
export const DISK_PRESETS: Readonly<Record<'ram' | 'nvme' | 'ssd' | 'hdd', ServiceTimeModel>> = {
  /** Memory-backed: sub-µs access, memory-copy bandwidth. */
  ram: model('ram', 200, 200, 0, 100, 10e9, 1024, 0),
  /** NVMe flash: ~80 µs reads, writes land in the device cache (~15 µs), 3 GB/s. */
  nvme: model('nvme', 80_000, 15_000, 400_000, 10_000, 3e9, 256, 0.1),
  /** SATA SSD: ~100 µs reads, 550 MB/s, NCQ depth 32. */
  ssd: model('ssd', 100_000, 40_000, 2_000_000, 20_000, 550e6, 32, 0.1),
  /** 7200 rpm disk: ~8.5 ms seek + half a turn, 180 MB/s, one head. */
  hdd: model('hdd', 8_500_000, 8_500_000, 15_000_000, 100_000, 180e6, 1, 0.2),
};

export type DiskPresetName = keyof typeof DISK_PRESETS;

export function diskPreset(name: string): ServiceTimeModel {
  const m = (DISK_PRESETS as Record<string, ServiceTimeModel>)[name];
  if (!m) throw new RangeError(`unknown disk preset '${name}' (expected one of ${Object.keys(DISK_PRESETS).join(', ')})`);
  return m;
}
