// No import circles: a module graph where every arrow points one way. Read from the import
// lines themselves (no dependency), the cycles found as strongly connected components.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/gms;

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** True for `import type …` and for `import { type A, type B }` (erased: no load-order effect). */
function typeOnly(stmt: string): boolean {
  if (/^\s*(import|export)\s+type\s/.test(stmt)) return true;
  const names = /^\s*(?:import|export)\s*\{([^}]*)\}\s*from/.exec(stmt);
  return names !== null && names[1]!.split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '));
}

/** Module graph of the folders, relative paths; `types`: count type-only imports as arrows too. */
function graph(folders: string[], types: boolean): Map<string, string[]> {
  const files = folders.flatMap((d) => tsFiles(join(ROOT, d)));
  const known = new Set(files);
  const g = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      if (!types && typeOnly(m[0])) continue;
      const to = resolve(dirname(f), m[1]!);
      if (known.has(to)) deps.push(relative(ROOT, to));
    }
    g.set(relative(ROOT, f), deps);
  }
  return g;
}

/** Each cycle (Tarjan's strongly connected components of more than one module, or a self-import). */
function cycles(g: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
  }
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  it('none among the modules the simulation loads (kernel, drivers, hw-sim, scenarios)', () => {
    expect(cycles(graph(['kernel', 'drivers', 'hw-sim', 'scenarios'], false))).toEqual([]);
  });

  it('none even through type imports in the block layer, the drivers and the hardware', () => {
    expect(cycles(graph(['kernel/block', 'kernel/core', 'kernel/lib', 'drivers', 'hw-sim'], true))).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
