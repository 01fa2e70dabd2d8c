import { formatBytes, formatNs } from '../../../scenarios/checkers/units.ts';

export { formatBytes, formatNs };

/** bit/s for humans, in bytes per second with decimal prefixes (as the spec states throughput). */
export function formatRate(bps: number): string {
  return formatByteRate(bps / 8);
}

/** Bytes per second with decimal prefixes: 4.1 MB/s. */
export function formatByteRate(Bps: number): string {
  if (Bps >= 1e9) return `${(Bps / 1e9).toFixed(2)} GB/s`;
  if (Bps >= 1e6) return `${(Bps / 1e6).toFixed(1)} MB/s`;
  if (Bps >= 1e3) return `${(Bps / 1e3).toFixed(1)} kB/s`;
  return `${Bps.toFixed(0)} B/s`;
}

export function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}

/** A number without a known unit: integers as they are, fractions to 3 significant digits. */
export function formatPlain(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)));
}

/** A measured value in the unit an expectation states. */
export function formatValue(v: number | string | boolean | null, unit: string | undefined): string {
  if (typeof v !== 'number') return v === null ? '-' : String(v);
  if (!Number.isFinite(v)) return v > 0 ? 'never' : String(v);
  if (unit === 'ns') return formatNs(Math.round(v));
  if (unit === 'bit/s') return formatRate(v);
  if (unit === 'iops') return `${formatCount(v)} IOPS`;
  if (unit === 'bytes') return formatBytes(v);
  // Safety is checked per block of the device's history (a violation names its block).
  if (unit === 'blocks') return `${formatPlain(v)} ${v === 1 ? 'block' : 'blocks'}`;
  return formatPlain(v);
}

/**
 * A figure in a management command's table, in the unit its name states (`p99_ns`,
 * `bytes_per_sec`, `bytes_sent`, `iops`): `407447688.14594567` reads `407.4 MB/s`.
 */
export function formatFigure(name: string, v: number): string {
  if (name.endsWith('_ns')) return formatNs(Math.round(v));
  if (name.endsWith('bytes_per_sec')) return formatRate(v * 8);
  if (/(^|[/_])bytes($|_)/.test(name) && !name.endsWith('_count')) return formatBytes(v);
  if (name.endsWith('iops')) return `${formatCount(v)} IOPS`;
  return formatPlain(v);
}
