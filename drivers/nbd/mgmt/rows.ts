import type { StatValue } from '../../../kernel/core/stats.ts';
import type { Cell, MgmtContext, MgmtOutput } from './types.ts';

/** `block/<dev>` of the context's device. */
export function devPrefix(ctx: MgmtContext): string {
  return `block/${ctx.device.opts.name}`;
}

/**
 * Rows of an indexed stats directory: `<prefix>/<i>/<key>` → one object per index, in index order,
 * with keys in the order of `columns`.
 */
export function indexedRows(ctx: MgmtContext, prefix: string, columns: readonly string[]): Array<Record<string, Cell>> {
  const snap = ctx.stats.snapshot(prefix);
  const byIndex = new Map<number, Record<string, Cell>>();
  for (const [path, v] of Object.entries(snap)) {
    const rest = path.slice(prefix.length + 1).split('/');
    const i = Number(rest[0]);
    if (!Number.isInteger(i) || rest.length !== 2) continue;
    const row = byIndex.get(i) ?? {};
    row[rest[1]!] = v;
    byIndex.set(i, row);
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => {
    const src = byIndex.get(i)!;
    const row: Record<string, Cell> = { index: i };
    for (const c of columns) row[c] = src[c] ?? null;
    return row;
  });
}

/** Output whose table has one row per object, columns in the given order. */
export function tableOf(command: readonly string[], title: string, columns: readonly string[], rows: Array<Record<string, Cell>>, data: unknown = rows): MgmtOutput {
  return { command, title, data, table: { columns, rows: rows.map((r) => columns.map((c) => r[c] ?? null)) } };
}

/** Output of a flat stats directory as key/value rows (keys relative to `prefix`). */
export function keyValues(command: readonly string[], title: string, snap: Record<string, StatValue>, prefix: string): MgmtOutput {
  const data: Record<string, StatValue> = {};
  for (const [k, v] of Object.entries(snap)) data[k.slice(prefix.length + 1)] = v;
  return { command, title, data, table: { columns: ['key', 'value'], rows: Object.entries(data).map(([k, v]) => [k, v]) } };
}

/** Parses a non-negative integer argument or throws naming it. */
export function intArg(v: string | undefined, what: string, fail: (what: string) => Error): number {
  if (v === undefined || !/^\d+$/.test(v)) throw fail(`${what} must be a non-negative integer, got '${v ?? ''}'`);
  return Number(v);
}
