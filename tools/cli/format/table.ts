import { formatFigure } from './units.ts';

/**
 * A plain-text table: left-aligned text, right-aligned numbers, two spaces between columns.
 * Numbers are shown in the unit their column names (`lat_p99_ns`), or in a key/value table the
 * unit their key names (`read/bytes_per_sec`).
 */
export function renderTable(columns: readonly string[], rows: readonly (readonly unknown[])[], indent = '  '): string {
  const keyed = columns.length === 2 && columns[0] === 'key';
  const cells = rows.map((r) => columns.map((c, i) => cellText(r[i], keyed && i === 1 ? String(r[0]) : c)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (vals: readonly string[]) =>
    indent + vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n') + '\n';
}

function cellText(v: unknown, name: string): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFigure(name, v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
