import type { SimSession } from '../../scenarios/runner/types.ts';
import { renderTable } from './format/table.ts';

/**
 * The stepper's `show [--json] [SECTION]` and `show raw`: small tables by default (the session's
 * view), the full JSON data with --json or raw. A session without a view prints JSON.
 */
export function showText(session: SimSession, args: readonly string[]): string {
  const json = args.includes('--json') || args.includes('raw');
  const rest = args.filter((a) => a !== '--json' && a !== 'raw');
  if (rest.length > 1) throw new Error(`show takes one section, got "${rest.join(' ')}"`);
  const [name] = rest;
  const view = session.view?.();
  const all = session.show();
  if (json || !view) {
    if (name === undefined) return `${JSON.stringify(all, null, 2)}\n`;
    const key = view?.find((s) => s.name === name)?.raw ?? name;
    if (!(key in all)) throw new Error(`no section "${name}" (sections: ${sectionNames(view, all).join(', ')})`);
    return `${JSON.stringify(all[key], null, 2)}\n`;
  }
  const picked = name === undefined ? view : view.filter((s) => s.name === name || s.raw === name);
  if (picked.length === 0) throw new Error(`no section "${name}" (sections: ${sectionNames(view, all).join(', ')}; or show raw)`);
  return picked.map((s) => `${s.title}\n${s.table.rows.length === 0 ? '  (none)\n' : renderTable(s.table.columns, s.table.rows)}`).join('\n');
}

function sectionNames(view: ReturnType<NonNullable<SimSession['view']>> | undefined, all: Readonly<Record<string, unknown>>): string[] {
  return view ? view.map((s) => s.name) : Object.keys(all);
}
