/**
 * CPU cost of cache work, charged on the client's CPU model so that cache latency is measured:
 * an index lookup and policy update per 4 KiB block, and the copy at the kernel's memory copy
 * rate (kernel/net uses the same 10 GB/s for socket-buffer copies).
 */
export const CACHE_LOOKUP_NS = 100;
export const CACHE_COPY_BYTES_PER_NS = 10;

/** Cost of looking up and copying `bytes` spread over `blocks` cache blocks. */
export function cacheCostNs(blocks: number, bytes: number): number {
  return blocks * CACHE_LOOKUP_NS + Math.ceil(bytes / CACHE_COPY_BYTES_PER_NS);
}

/** Runs `fn` once `costNs` of CPU work is done (queued behind what the core already has). */
export type CpuCharge = (costNs: number, fn: () => void) => void;

/** Internal request slots of the cache (beyond the block layer's tags). */
export const WB_EXTENTS = 8;
export const RA_READS = 16;
export const SLOT_FLUSH = WB_EXTENTS + RA_READS;
export const SLOT_HINT = SLOT_FLUSH + 1;
export const CACHE_TAGS = SLOT_HINT + 1;
/** Age after which dirty data is written back (the simulator's dirty_expire). */
export const DIRTY_EXPIRE_NS = 5_000_000;
