/**
 * Service-time model of the RAM disk: an operation takes a fixed latency plus a per-byte cost,
 * and the device serves `queues` operations at once (internal parallelism). Under a backlog the
 * device completes queues / serviceTime operations per second.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import { REQ_OP, type ReqOp } from '../../kernel/block/types.ts';

export interface RamdiskModel {
  /** Fixed cost of a read or write, ns. */
  latencyNs: Ns;
  /** Cost per byte moved, ns (may be fractional; the total is rounded to whole ns). */
  perByteNs: number;
  /** Operations served at once. */
  queues: number;
  /** Fixed cost of flush, discard and write-zeroes (no data moved). Default: latencyNs. */
  metaLatencyNs?: Ns;
}

export const DEFAULT_RAMDISK_MODEL: RamdiskModel = { latencyNs: 5_000, perByteNs: 0.1, queues: 4 };

export function checkModel(m: RamdiskModel, where: string): RamdiskModel {
  if (!Number.isSafeInteger(m.latencyNs) || m.latencyNs < 0) throw new RangeError(`${where}: latencyNs must be a non-negative integer, got ${m.latencyNs}`);
  if (!(m.perByteNs >= 0)) throw new RangeError(`${where}: perByteNs must be ≥ 0, got ${m.perByteNs}`);
  if (!Number.isInteger(m.queues) || m.queues < 1) throw new RangeError(`${where}: queues must be a positive integer, got ${m.queues}`);
  return m;
}

/** Time to serve one operation. */
export function serviceNs(m: RamdiskModel, op: ReqOp, bytes: number): Ns {
  if (op === REQ_OP.READ || op === REQ_OP.WRITE) return m.latencyNs + Math.round(bytes * m.perByteNs);
  return m.metaLatencyNs ?? m.latencyNs;
}
