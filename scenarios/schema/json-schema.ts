import { z } from 'zod';
import type { UnitHint } from '../../drivers/nbd/config/fields.ts';
import { nbdSectionSchema } from '../../drivers/nbd/config/schema.ts';
import { scenarioDocumentSchema } from './document.ts';

/**
 * The JSON Schema of a scenario file, for editors (Taplo / Even Better TOML read the `#:schema`
 * comment at the top of each scenario). Generated from the zod schemas the loader uses, so a key
 * added there appears here; `npm run schema` rewrites the committed scenario.schema.json and a
 * test keeps the two equal. The loader stays the authority: cross-key rules (references, bounds
 * between keys) are only in the loader.
 */
export const SCHEMA_FILE = 'scenarios/schema/scenario.schema.json';

type Json = Record<string, unknown>;

const NUM = String.raw`\s*[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*`;
const PATTERN = {
  size: `^${NUM}([bB]|[kKmMgGtT]([bB]|[iI][bB])?)?\\s*$`,
  duration: `^${NUM}(ns|us|µs|ms|s|m|min|h)\\s*$`,
  bareDuration: `^${NUM}(ns|us|µs|ms|s|m|min|h)?\\s*$`,
  rate: `^${NUM}[kKmMgGtT]?(bit|bps|bit/s|b/s|B/s|Bps)\\s*$`,
  percent: `^${NUM}%\\s*$`,
};

/** Bytes → "4KiB" when exact, else the integer. */
function sizeText(b: number): string | number {
  for (const [u, m] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (b >= m && b % m === 0) return `${b / m}${u}`;
  return b;
}

/** ns → "20us", "2s": the largest unit that divides it. */
function durationText(ns: number): string {
  if (ns === 0) return '0s';
  for (const [u, m] of [['h', 3600e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) if (ns >= m && ns % m === 0) return `${ns / m}${u}`;
  return `${ns}ns`;
}

function rateText(bps: number): string {
  for (const [u, m] of [['Tbit', 1e12], ['Gbit', 1e9], ['Mbit', 1e6], ['kbit', 1e3]] as const) if (bps >= m && bps % m === 0) return `${bps / m}${u}`;
  return `${bps}bit`;
}

/** The input forms, default and a unit sentence of one unit field. */
function unitSchema(u: UnitHint, def: unknown): { schema: Json; sentence: string; def?: unknown } {
  const bound = (text: (v: number) => string | number) =>
    [u.min !== undefined && u.min > 0 ? `at least ${text(u.min)}` : '', u.max !== undefined ? `at most ${text(u.max)}` : '', u.multipleOf !== undefined ? `a multiple of ${text(u.multipleOf)}` : '']
      .filter((x) => x !== '')
      .join(', ');
  const withBounds = (s: string, b: string) => (b === '' ? s : `${s} (${b})`);
  const num = typeof def === 'number' ? def : undefined;
  switch (u.kind) {
    case 'size':
      return {
        schema: { anyOf: [{ type: 'integer', minimum: u.min ?? 0, ...(u.max !== undefined ? { maximum: u.max } : {}) }, { type: 'string', pattern: PATTERN.size }] },
        sentence: withBounds('Unit: bytes, as an integer or a size such as "4KiB" or "2MB" (binary: 1 KB = 1 KiB = 1024 bytes)', bound((v) => String(sizeText(v)))),
        def: num === undefined ? undefined : sizeText(num),
      };
    case 'duration': {
      const forms: Json[] = [{ type: 'string', pattern: u.bareUnit ? PATTERN.bareDuration : PATTERN.duration }];
      if (u.bareUnit) forms.unshift({ type: 'number', minimum: 0 });
      const bare = u.bareUnit ? `; a bare number is in ${u.bareUnit}` : '; a bare number is refused';
      return {
        schema: forms.length === 1 ? forms[0]! : { anyOf: forms },
        sentence: withBounds(`Unit: a duration such as "250ms", "20us" or "1.5s" (ns, us, ms, s, m, h)${bare}`, bound(durationText)),
        def: num === undefined ? undefined : durationText(num),
      };
    }
    case 'rate':
      return {
        schema: { type: 'string', pattern: PATTERN.rate },
        sentence: 'Unit: a rate in bit/s such as "25Gbit" or "100Mbit/s", or in bytes per second such as "1GB/s" (decimal: 1 GB/s = 8·10^9 bit/s)',
        def: num === undefined ? undefined : rateText(num),
      };
    case 'fraction':
      return {
        schema: { anyOf: [{ type: 'number', minimum: 0, maximum: 1 }, { type: 'string', pattern: PATTERN.percent }] },
        sentence: 'Unit: a probability, as a fraction 0..1 or a percentage such as "1%"',
        def: num,
      };
  }
}

/**
 * zod leaves a unit field's default out of an input schema (the default is the parsed number);
 * keep it next to the hint so `unitForms` can show it as written ("20us", not 20000).
 */
function keepUnitDefault(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const def = (ctx.zodSchema as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
  if (def.type === 'default' && ctx.jsonSchema['orionUnit'] !== undefined && ctx.jsonSchema['default'] === undefined) {
    ctx.jsonSchema['default'] = def.defaultValue;
  }
}

/** Replaces every unit field's `{ orionUnit }` by its input forms, shown default and unit sentence. */
function unitForms(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(unitForms);
  if (typeof node !== 'object' || node === null) return;
  const js = node as Json;
  for (const v of Object.values(js)) unitForms(v);
  const hint = js['orionUnit'] as UnitHint | undefined;
  if (hint === undefined) return liftUnit(js);
  delete js['orionUnit'];
  const u = unitSchema(hint, js['default']);
  Object.assign(js, u.schema);
  if (u.def !== undefined) js['default'] = u.def;
  else delete js['default'];
  const d = typeof js['description'] === 'string' ? js['description'] : '';
  js['description'] = d === '' ? `${u.sentence}.` : `${d} ${u.sentence}.`;
}

/** `iops = 5000` or `{ min, job }`: the key's own description states the unit of its value form. */
function liftUnit(js: Json): void {
  const d = js['description'];
  if (typeof d !== 'string' || d.includes('Unit: ') || !Array.isArray(js['anyOf'])) return;
  const branch = (js['anyOf'] as Json[]).map((b) => String(b['description'] ?? '')).find((b) => b.includes('Unit: '));
  if (branch !== undefined) js['description'] = `${d} ${branch.slice(branch.indexOf('Unit: '))}`;
}

/** The scenario file's JSON Schema (draft-07, which every TOML editor plugin reads). */
export function scenarioJsonSchema(): Json {
  const doc = scenarioDocumentSchema.extend({
    nbd: nbdSectionSchema.optional().describe('The NBD driver configuration: the keys of the Orion NBD spec and what a real driver needs beyond them (drivers/nbd/config).'),
  });
  const out = z.toJSONSchema(doc, { io: 'input', target: 'draft-7', unrepresentable: 'any', override: keepUnitDefault }) as Json;
  unitForms(out);
  return {
    $schema: out['$schema'],
    title: 'Orion Sim scenario',
    description: 'A scenario file of Orion Sim (scenarios/*.toml): topology, NBD driver configuration, workloads, a fault timeline and expectations. See scenarios/schema/README.md.',
    ...Object.fromEntries(Object.entries(out).filter(([k]) => k !== '$schema')),
  };
}

/** The committed file's text: stable key order, two-space indent, newline at the end. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
