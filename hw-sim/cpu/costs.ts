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
   * NBD driver queue_rq, per request sent (drivers/block/nbd.c nbd_queue_rq → nbd_send_cmd: take
   * the config and socket locks, fill the 28-byte request, blk_mq_start_request). Derived: ~40
   * cache-warm locked/store steps at ~15 ns ≈ 0.6 µs; the sendmsg it calls is TCP's, charged per
   * packet below.
   */
  readonly nbdQueueRqNs: Ns;
  /**
   * NBD driver reply handling, per reply (recv_work: wake the connection's kworker, read the
   * reply header, find the request by cookie, blk_mq_complete_request). Dominated by the
   * kworker wake-up and switch, ~1 µs (lmbench lat_ctx on current x86: 1–2 µs per switch) plus
   * ~0.2 µs of lookup and completion.
   */
  readonly nbdReplyNs: Ns;
  /**
   * Receive protocol work per packet handed to the stack (driver rx, IP, tcp_v4_rcv; a GRO/LRO
   * aggregate counts once, as in Linux). One core receives full-size TCP at 10 Gbit/s, i.e. one
   * packet per 1230 ns (Brouer, "Network stack challenges at increasing speeds", LCA 2015): ~1 µs.
   */
  readonly netRxPacketNs: Ns;
  /** Transmit protocol work per packet (tcp_sendmsg's segment, ip_output, ndo_start_xmit; a TSO packet once): about half the receive path (same source). */
  readonly netTxPacketNs: Ns;
  /**
   * A kernel timer callback (run_timer_softirq expiring one timer_list and entering its callback;
   * the callback's own work, e.g. a retransmission, is charged by what it does): ~300 ns
   * (timer wheel expiry plus the socket lock a TCP timer takes, each a few cache misses of ~100 ns).
   */
  readonly timerCallbackNs: Ns;
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
  /**
   * AES-256-GCM sealing or opening a TLS record, per byte: AES-NI + PCLMULQDQ run AES-128-GCM at
   * ~1 cycle/byte on Haswell (Gueron & Krasnov, "AES-GCM for efficient authenticated encryption:
   * ending the reign of HMAC-SHA-1?", Real World Crypto 2013); AES-256 has 14 rounds instead of
   * 10: ~1.4 cycles/byte at 3 GHz, ~0.5 ns/byte with record framing.
   */
  readonly aesGcmNsPerByte: number;
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
  nbdQueueRqNs: 600,
  nbdReplyNs: 1_200,
  netRxPacketNs: 1_000,
  netTxPacketNs: 500,
  timerCallbackNs: 300,
  serverRequestNs: 3_000,
  copyNsPerByte: 0.1,
  crc32cNsPerByte: 0.125,
  aesGcmNsPerByte: 0.5,
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
