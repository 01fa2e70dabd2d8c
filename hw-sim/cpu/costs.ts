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
  /** AES-256-GCM per byte with AES-NI + PCLMULQDQ: ~2–4 GB/s per core (OpenSSL speed, 16 KiB blocks). */
  readonly aesGcmNsPerByte: number;
}

export const DEFAULT_CPU_COSTS: CpuCosts = {
  blkSubmitNs: 1_500,
  blkCompleteNs: 800,
  serverRequestNs: 3_000,
  copyNsPerByte: 0.1,
  crc32cNsPerByte: 0.125,
  aesGcmNsPerByte: 0.33,
};

/** The costs times `scale` (0 turns CPU cost off for a pure device-bound figure). */
export function scaledCosts(scale: number, base: CpuCosts = DEFAULT_CPU_COSTS): CpuCosts {
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`cpu cost scale must be a finite number ≥ 0, got ${scale}`);
  return {
    blkSubmitNs: Math.round(base.blkSubmitNs * scale),
    blkCompleteNs: Math.round(base.blkCompleteNs * scale),
    serverRequestNs: Math.round(base.serverRequestNs * scale),
    copyNsPerByte: base.copyNsPerByte * scale,
    crc32cNsPerByte: base.crc32cNsPerByte * scale,
    aesGcmNsPerByte: base.aesGcmNsPerByte * scale,
  };
}

/** Integer ns of a per-byte cost over `bytes`. */
export function perByteNs(nsPerByte: number, bytes: number): Ns {
  return Math.round(nsPerByte * bytes);
}
