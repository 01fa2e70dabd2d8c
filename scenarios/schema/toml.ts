import { parse, TomlError } from 'smol-toml';
import type { KeyPath } from '../../drivers/nbd/config/errors.ts';

export type TomlTable = Record<string, unknown>;

export type TomlParse =
  | { ok: true; doc: TomlTable }
  | { ok: false; reason: string; line: number; column: number };

/** Parses TOML text; a syntax error comes back with its line and column, never as a throw. */
export function parseToml(text: string): TomlParse {
  try {
    return { ok: true, doc: parse(text) as TomlTable };
  } catch (e) {
    if (e instanceof TomlError) {
      // smol-toml puts a code excerpt after the first line of its message; keep the first line.
      const first = e.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      return { ok: false, reason: `TOML syntax error: ${first}`, line: e.line, column: e.column };
    }
    throw e;
  }
}

const KEY_LINE = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/;
const HEADER_LINE = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?/;

function splitDotted(key: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null && m[0] !== '') out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function keyOf(path: KeyPath): string {
  return path.join('\u0000');
}

/**
 * Best-effort line (1-based) of a key path in TOML text: the line of the deepest table header
 * or key assignment that is a prefix of `path`. Values inside inline tables or arrays resolve
 * to the line of their enclosing key. Undefined when nothing matches.
 */
export function locateKey(text: string, path: KeyPath): number | undefined {
  const target = path.map(String);
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  let best: { depth: number; line: number } | undefined;
  const consider = (p: string[], line: number): void => {
    if (p.length > target.length) return;
    for (let i = 0; i < p.length; i++) if (p[i] !== target[i]) return;
    if (!best || p.length > best.depth) best = { depth: p.length, line };
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (/^\s*(#|$)/.test(raw)) continue;
    const h = HEADER_LINE.exec(raw);
    if (h) {
      const segs = splitDotted(h[2]!);
      const resolved: string[] = [];
      segs.forEach((seg, i) => {
        resolved.push(seg);
        const isLast = i === segs.length - 1;
        const k = keyOf(resolved);
        if (isLast && h[1] === '[[') {
          const idx = arrayCounts.has(k) ? arrayCounts.get(k)! + 1 : 0;
          arrayCounts.set(k, idx);
          resolved.push(String(idx));
        } else if (arrayCounts.has(k)) {
          resolved.push(String(arrayCounts.get(k)!));
        }
      });
      table = resolved;
      consider(table, n + 1);
      continue;
    }
    const k = KEY_LINE.exec(raw);
    if (k) consider([...table, ...splitDotted(k[1]!)], n + 1);
  }
  return best?.line;
}
