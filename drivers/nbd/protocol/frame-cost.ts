/**
 * CPU cost of payload frames (docs/nbd-extensions.md) on the simulated CPU model: compressing and
 * checksumming a payload before it is sent, decompressing and verifying it on receipt. Both ends
 * (the driver and the simulated server) charge the same figures from hw-sim/cpu/costs.ts.
 */
import { perByteNs, type CpuCosts } from '../../../hw-sim/cpu/costs.ts';
import { NBD_ORION_COMPRESS_LZ4, NBD_ORION_FRAME_COMPRESSED } from './uapi.ts';
import type { FrameHeader } from './payload-frame.ts';

/** How one end charges frame work: the costs, and a CPU that runs `fn` once `ns` of work is done. */
export interface FrameCpu {
  readonly costs: CpuCosts;
  charge(ns: number, fn: () => void): void;
}

/** Framing `raw` bytes for sending: a compression attempt over all of them (kept or not), then the CRC. */
export function sendCostNs(c: CpuCosts, compression: number, checksum: number, raw: number): number {
  let ns = 0;
  if (compression !== 0) ns += perByteNs(compression === NBD_ORION_COMPRESS_LZ4 ? c.lz4CompressNsPerByte : c.deflateCompressNsPerByte, raw);
  if (checksum !== 0) ns += perByteNs(c.crc32cNsPerByte, raw);
  return ns;
}

/**
 * Header checksums (docs/nbd-extensions.md, "Header checksums"): one request's CRC-32C work at one
 * end, over its request header (`requestHeader` bytes) and its reply's header (`replyHeader`),
 * one sealed and the other verified.
 */
export function headerCostNs(c: CpuCosts, requestHeader: number, replyHeader: number): number {
  return perByteNs(c.crc32cNsPerByte, requestHeader + replyHeader);
}

/** Unframing a received frame: decompression when it is flagged, then the CRC over the raw bytes. */
export function receiveCostNs(c: CpuCosts, compression: number, checksum: number, h: FrameHeader): number {
  let ns = 0;
  if ((h.flags & NBD_ORION_FRAME_COMPRESSED) !== 0) {
    ns += perByteNs(compression === NBD_ORION_COMPRESS_LZ4 ? c.lz4DecompressNsPerByte : c.deflateDecompressNsPerByte, h.raw);
  }
  if (checksum !== 0) ns += perByteNs(c.crc32cNsPerByte, h.raw);
  return ns;
}
