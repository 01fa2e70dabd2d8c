/**
 * CPU costs of the work on the I/O path, in ns on one core of a ~3 GHz x86 server. Order-of-
 * magnitude figures from published measurements, not one product; each says where it comes from.
 * Charged with Cpu.run (the work waits for the core, so a busy core becomes latency) by the layer
 * that does the work. A run can scale them all (`[machine] cpu_cost_scale`).
 */
import type { Ns } from '../engine/time.ts';

export interface CpuCosts {
  /**
   * submit_bio → blk-mq → queue_rq, per bio: ~1–2 µs per 4 KiB I/O in the Linux block layer
   * (Axboe, "io_uring and the block layer", Kernel Recipes 2019: ~1.6 M IOPS per core for the
   * whole stack with polling, i.e. ~0.6 µs; interrupt-driven paths 2–3× that).
   */
  readonly blkSubmitNs: Ns;
  /** blk_mq_complete_request → bio_endio → the submitter's callback, per bio (same source, ~half the submit path). */
  readonly blkCompleteNs: Ns;
  /**
   * NBD server program per request: parse the 28-byte header, look up the export, issue the disk
   * I/O, build the reply (nbdkit/qemu-nbd: ~150–300k 4 KiB requests per second per core on
   * loopback, i.e. 3–6 µs with their syscalls; the syscalls are charged as TCP work here).
   */
  readonly serverRequestNs: Ns;
  /** memcpy per byte, cache-warm: ~10 GB/s per core (Intel Skylake-SP, STREAM copy per core). */
  readonly copyNsPerByte: number;
  /** CRC32C per byte with SSE4.2 crc32 instruction: ~8 GB/s per core (Intel white paper 323405). */
  readonly crc32cNsPerByte: number;
  /*
   * Compression, calibrated from the compressors the simulator really runs (docs/nbd-extensions.md,
   * "Compression algorithms": 4 KiB blocks, 0–90 % compressible, 2 vCPU EPYC, Node 20); each
   * figure is the middle of the measured range.
   */
  /** LZ4 compression per byte: lz4js compressBlock 230–510 MB/s → ~370 MB/s. */
  readonly lz4CompressNsPerByte: number;
  /** LZ4 decompression per byte: lz4js decompressBlock 310–1050 MB/s → ~680 MB/s. */
  readonly lz4DecompressNsPerByte: number;
  /** DEFLATE (zlib level 1) compression per byte: deflateRawSync 31–84 MB/s → ~57 MB/s. */
  readonly deflateCompressNsPerByte: number;
  /** DEFLATE decompression per byte: inflateRawSync 128–614 MB/s → ~370 MB/s. */
  readonly deflateDecompressNsPerByte: number;
}

/** The names of the costs, for a layer that charges one by name (`charge(costs, 'crc32cNsPerByte', n)`). */
export type CpuCostName = keyof CpuCosts;

export const DEFAULT_CPU_COSTS: CpuCosts = {
  blkSubmitNs: 1_500,
  blkCompleteNs: 800,
  serverRequestNs: 3_000,
  copyNsPerByte: 0.1,
  crc32cNsPerByte: 0.125,
  lz4CompressNsPerByte: 2.7,
  lz4DecompressNsPerByte: 1.47,
  deflateCompressNsPerByte: 17.4,
  deflateDecompressNsPerByte: 2.7,
};

/** The costs times `scale` (0 turns CPU cost off for a pure device-bound figure); fixed costs stay integer ns. */
export function scaledCosts(scale: number, base: CpuCosts = DEFAULT_CPU_COSTS): CpuCosts {
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`cpu cost scale must be a finite number ≥ 0, got ${scale}`);
  const out: Record<string, number> = {};
  for (const k of Object.keys(base) as CpuCostName[]) {
    out[k] = k.endsWith('PerByte') ? base[k] * scale : Math.round(base[k] * scale);
  }
  return out as unknown as CpuCosts;
}

/**
 * The integer ns a cost stands for: a fixed cost as is, a per-byte cost over `bytes`. The one
 * call a layer needs to charge any cost of the table (with Cpu.run).
 */
export function costNs(costs: CpuCosts, name: CpuCostName, bytes = 0): Ns {
  return name.endsWith('PerByte') ? Math.round(costs[name] * bytes) : costs[name];
}

/** Integer ns of a per-byte cost over `bytes`. */
export function perByteNs(nsPerByte: number, bytes: number): Ns {
  return Math.round(nsPerByte * bytes);
}
