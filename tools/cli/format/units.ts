import { formatNs } from '../../../hw-sim/engine/time.ts';

export { formatNs };

/** bit/s for humans, in bytes per second with decimal prefixes (as the spec states throughput). */
export function formatRate(bps: number): string {
  const Bps = bps / 8;
  if (Bps >= 1e9) return `${(Bps / 1e9).toFixed(2)} GB/s`;
  if (Bps >= 1e6) return `${(Bps / 1e6).toFixed(1)} MB/s`;
  if (Bps >= 1e3) return `${(Bps / 1e3).toFixed(1)} kB/s`;
  return `${Bps.toFixed(0)} B/s`;
}

export function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}

/** A measured value in the unit an expectation states. */
export function formatValue(v: number | string | boolean | null, unit: string | undefined): string {
  if (typeof v !== 'number') return v === null ? '-' : String(v);
  if (unit === 'ns') return formatNs(Math.round(v));
  if (unit === 'bit/s') return formatRate(v);
  if (unit === 'iops') return formatCount(v);
  return String(v);
}
