// No import circles: a module graph where every arrow points one way, type-only imports
// included (an `import type` circle is still two files that cannot be read, or changed, apart).
// Read from the import lines themselves (no dependency), the cycles found as strongly connected
// components.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const FOLDERS = ['kernel', 'drivers', 'hw-sim', 'scenarios', 'tools'];

/**
 * Static imports and re-exports with a relative path: `import x from`, `import type { A } from`,
 * `import { type A, b } from`, `export * from`, `export type { A } from`, over several lines too,
 * bare `import './x.ts'`, and a lazy `import('./x.ts')` (loaded later, still an arrow). The clause
 * before `from` holds only names, braces, commas and `*`, so an `export const`/`interface` body
 * never reads as an import.
 */
const IMPORT = /^\s*(?:(?:import|export)\s[\w\s{},*$]*?\bfrom\s*|import\s*)['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** Relative module paths a source file imports. */
function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if ((p.endsWith('.ts') && !p.endsWith('.d.ts')) || p.endsWith('.mjs')) out.push(p);
  }
  return out;
}

/** Module graph of `sources` (path → text): an arrow per import of another of the sources. */
function graph(sources: ReadonlyMap<string, string>): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const [f, text] of sources) {
    const deps: string[] = [];
    for (const spec of importsOf(text)) {
      const to = join(dirname(f), spec);
      if (sources.has(to)) deps.push(to);
    }
    g.set(f, deps);
  }
  return g;
}

/** Each cycle (Tarjan's strongly connected components of more than one module, or a self-import). */
function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
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
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

function tree(): Map<string, string> {
  const files = FOLDERS.flatMap((d) => sourceFiles(join(ROOT, d)));
  return new Map(files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]));
}

describe('import cycles', () => {
  it('none in kernel, drivers, hw-sim, scenarios and tools, type-only and lazy imports included', () => {
    expect(cycles(graph(tree()))).toEqual([]);
  });

  it('reads every import form as an arrow, and nothing else', () => {
    const text = [
      "import type { A } from './a.ts';",
      "import { type B, type C } from './b.ts';",
      'import {',
      '  d,',
      '  type E,',
      "} from './d.ts';",
      "import * as f from './f.ts';",
      "export * from './g.ts';",
      "export type { H } from './h.ts';",
      "import './i.ts';",
      "  const { run } = await import('../l.ts');",
      "import { x } from 'vitest';",
      "export const s = 'j'; // from './j.ts'",
      '/** import { k } from "./k.ts" */',
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.ts', './b.ts', './d.ts', './f.ts', './g.ts', './h.ts', './i.ts', '../l.ts']);
  });

  it('fails on a circle made only of type imports (the check itself)', () => {
    const g = graph(new Map([
      ['net/socket.ts', "import { output } from './output.ts';\nexport class Socket {}"],
      ['net/output.ts', "import type { Socket } from './socket.ts';\nexport function output(s: Socket) {}"],
      ['net/host.ts', "import { type Socket } from './socket.ts';"],
      ['net/leaf.ts', "import type { Socket } from './socket.ts';\nimport { output } from './output.ts';"],
    ]));
    expect(cycles(g)).toEqual([['net/output.ts', 'net/socket.ts']]);
  });

  it('finds a longer cycle and a self-import', () => {
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']], ['e.ts', ['e.ts']]]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });
});
