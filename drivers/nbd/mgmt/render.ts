import type { Cell, MgmtOutput } from './types.ts';

function cellText(c: Cell): string {
  if (c === null) return '-';
  if (typeof c === 'number' && !Number.isInteger(c)) return c.toFixed(2);
  return String(c);
}

/** The output as an aligned text table (numbers right-aligned), headed by its title. */
export function renderTable(out: MgmtOutput): string {
  if (!out.table) return `${out.title}\n${JSON.stringify(out.data, null, 2)}\n`;
  const { columns, rows } = out.table;
  const text = rows.map((r) => r.map(cellText));
  const width = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [out.title, line(columns), line(width.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n') + '\n';
}

/** The output as one JSON document: command, title, data. */
export function renderJson(out: MgmtOutput): string {
  return JSON.stringify({ command: out.command, title: out.title, data: out.data }, null, 2) + '\n';
}
