import { NS_PER_S, type Ns } from '../engine/time.ts';

/**
 * Exact ceil(bytes · 1e9 / bytesPerSecond) in integer ns. Plain float division is exact while the
 * product stays a safe integer (then one correction step guards the rounding of the quotient);
 * beyond that BigInt keeps it exact.
 */
export function transferNs(bytes: number, bytesPerSecond: number): Ns {
  const prod = bytes * 1_000_000_000; // NS_PER_S as a number: per descriptor, a module constant is a load and a check
  if (prod <= Number.MAX_SAFE_INTEGER && Number.isSafeInteger(bytesPerSecond)) {
    let n = Math.ceil(prod / bytesPerSecond);
    if (n * bytesPerSecond < prod) n++;
    else if (n > 0 && (n - 1) * bytesPerSecond >= prod) n--;
    return n;
  }
  if (!Number.isSafeInteger(bytesPerSecond)) return Math.ceil(prod / bytesPerSecond);
  const p = BigInt(bytes) * BigInt(NS_PER_S);
  const b = BigInt(bytesPerSecond);
  return Number((p + b - 1n) / b);
}

/** Data-mover cost model shared by the DMA engine and the NIC: setup + bytes / bandwidth. */
export interface DmaCostModel {
  /** Fixed cost per descriptor (descriptor fetch, doorbell, completion write-back). */
  setupNs: Ns;
  /** Sustained copy bandwidth in bytes per second. */
  bytesPerSecond: number;
}

export function dmaCostNs(m: DmaCostModel, bytes: number): Ns {
  return m.setupNs + transferNs(bytes, m.bytesPerSecond);
}

export function checkDmaCostModel(m: DmaCostModel, where: string): void {
  if (!Number.isSafeInteger(m.setupNs) || m.setupNs < 0) {
    throw new RangeError(`${where}: setupNs must be a non-negative integer of ns, got ${m.setupNs}`);
  }
  if (!(m.bytesPerSecond > 0) || !Number.isFinite(m.bytesPerSecond)) {
    throw new RangeError(`${where}: bytesPerSecond must be a positive number, got ${m.bytesPerSecond}`);
  }
}
