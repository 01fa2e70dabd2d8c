/**
 * Units for every message and figure of a run, shared down here so checkers, the runner and the
 * CLI print alike: times from hw-sim's virtual clock, sizes in bytes with binary prefixes.
 */
export { formatNs, formatNsExact } from '../../hw-sim/engine/time.ts';

const BINARY = [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const;

/** A measured amount of bytes, rounded to read at a glance: 2.20 MiB. */
export function formatBytes(n: number): string {
  for (const [u, m] of BINARY) if (Math.abs(n) >= m) return `${(n / m).toFixed(2)} ${u}`;
  return `${Math.round(n)} B`;
}

/** A size that must stay exact (a length, a block size): the largest prefix that divides it: 4 KiB, 1536 B. */
export function formatSize(n: number): string {
  for (const [u, m] of BINARY) if (Math.abs(n) >= m && n % m === 0) return `${n / m} ${u}`;
  return `${n} B`;
}

/** A byte range of a device as its messages name it: the offset in bytes (as the trace has it), the length as a size. */
export function formatByteRange(offset: number, length: number): string {
  return `[byte ${offset}, +${formatSize(length)})`;
}
