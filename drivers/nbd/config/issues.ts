import type { z } from 'zod';
import type { KeyPath } from './errors.ts';
import { typeName } from './units.ts';

/** The first schema issue as a key path and a reason a user can act on. */
export interface SchemaProblem {
  path: (string | number)[];
  reason: string;
}

function valueAt(doc: unknown, path: KeyPath): unknown {
  let v: unknown = doc;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describe(issue: z.core.$ZodIssue, doc: unknown): SchemaProblem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      return { path: [...path, key], reason: `unknown key "${key}"` };
    }
    case 'invalid_type': {
      const got = valueAt(doc, path);
      if (got === undefined) return { path, reason: `missing required key (expected ${issue.expected})` };
      return { path, reason: `expected ${issue.expected}, got ${typeName(got)}` };
    }
    case 'invalid_value':
      if (valueAt(doc, path) === undefined) return { path, reason: `missing required key (one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})` };
      return { path, reason: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${typeName(valueAt(doc, path))}` };
    case 'invalid_union': {
      const { discriminator: disc, options } = issue as { discriminator?: string; options?: unknown[] };
      if (disc !== undefined) {
        const at = path[path.length - 1] === disc ? path : [...path, disc];
        const got = valueAt(doc, at);
        const choices = options ? ` (expected one of ${options.map((o) => JSON.stringify(o)).join(', ')})` : '';
        return { path: at, reason: `${got === undefined ? `missing required key "${disc}"` : `unknown ${disc} ${JSON.stringify(got)}`}${choices}` };
      }
      // Report the branch that got furthest: its first issue is the most specific.
      const branches = issue.errors.map((errs) => errs[0]).filter((e): e is z.core.$ZodIssue => e !== undefined);
      const deepest = branches.sort((a, b) => b.path.length - a.path.length)[0];
      if (deepest) return describe({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue, doc);
      return { path, reason: issue.message };
    }
    default:
      return { path, reason: issue.message };
  }
}

/** Turns a failed zod parse into one problem: the first issue in document order of paths. */
export function firstProblem(error: z.ZodError, doc: unknown, prefix: KeyPath = []): SchemaProblem {
  const p = describe(error.issues[0]!, doc);
  return { path: [...prefix, ...p.path], reason: p.reason };
}
