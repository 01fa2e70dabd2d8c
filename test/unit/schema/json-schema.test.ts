import { readdirSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';
import { SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from '../../../scenarios/schema/json-schema.ts';

// The committed JSON Schema, checked by an independent validator (ajv, draft-07), as an editor
// would check a scenario file.
const committed = readFileSync(SCHEMA_FILE, 'utf8');
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(committed) as object);
const shipped = readdirSync('scenarios', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.toml')).map((f) => `scenarios/${f}`);
/** The `#:schema` line of a scenario: the schema's path relative to the file, as Taplo resolves it. */
const schemaLine = (file: string) => `#:schema ${relative(dirname(file), SCHEMA_FILE).replace(/^(?!\.\.)/, './')}`;

type Node = Record<string, unknown>;

/** Every `properties` entry of the schema, with its key path. */
function properties(node: unknown, path: string, out: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) node.forEach((n) => properties(n, path, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node as Node)) {
      if (k === 'properties') for (const [key, sub] of Object.entries(v as Node)) {
        out.push([`${path}.${key}`, sub as Node]);
        properties(sub, `${path}.${key}`, out);
      }
      else properties(v, path, out);
    }
  }
  return out;
}

describe('the scenario JSON Schema', () => {
  it(`${SCHEMA_FILE} is what the zod schemas generate (npm run schema rewrites it)`, () => {
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('every key has a description, and every unit-bearing key states its unit', () => {
    const props = properties(scenarioJsonSchema(), '');
    // The tables, and a key from each place keys come from (topology, nbd, jobs, timeline, expect).
    for (const k of ['.scenario', '.machine', '.server', '.link', '.nbd', '.job', '.at', '.expect', '.nbd.connection_timeout', '.job.iodepth', '.at.command', '.expect.latency.read.p99']) {
      expect(props.map(([p]) => p)).toContain(k);
    }
    expect(props.filter(([, s]) => typeof s['description'] !== 'string' || s['description'] === '').map(([p]) => p)).toEqual([]);
    // A unit field accepts a string with a unit (its pattern has one); its description says which.
    const numeric = (n: Node) => typeof n['pattern'] === 'string' && n['pattern'].startsWith('^\\s*[0-9]+(\\.[0-9]+)?');
    const unitFields = props.filter(([, s]) => numeric(s) || (Array.isArray(s['anyOf']) && (s['anyOf'] as Node[]).some(numeric)));
    expect(unitFields.length).toBeGreaterThan(40);
    expect(unitFields.filter(([, s]) => !String(s['description']).includes('Unit: ')).map(([p]) => p)).toEqual([]);
  });

  it('shows defaults as written in a file: durations and sizes with units, not normalised numbers', () => {
    const root = scenarioJsonSchema() as { properties: Record<string, { properties?: Record<string, Node>; items?: { properties: Record<string, Node> } }> };
    const link = root.properties['link']!.items!.properties;
    expect([link['delay']!['default'], link['rate']!['default'], link['mtu']!['default']]).toEqual(['20us', '25Gbit', 1500]);
    const nbd = root.properties['nbd']!.properties!;
    expect([nbd['connection_timeout']!['default'], nbd['write_back_cache_size']!['default']]).toEqual(['30s', '256MiB']);
    expect(String(nbd['connection_timeout']!['description'])).toContain('a bare number is in ms');
  });
});

describe('shipped scenarios', () => {
  it.each(shipped)('%s names the schema for editors and validates against it', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(schemaLine(file));
    const ok = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

/** A valid file; each bad case replaces one line or appends one. */
const GOOD = `[scenario]
name = "t"

[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "64MiB"

[[link]]
between = ["client", "a"]
delay = "20us"

[[job]]
name = "r"
rw = "randread"
iodepth = 4
ios = 100

[[at]]
time = "1ms"
action = "crash"
target = "a"
`;

describe('bad files fail both the JSON Schema and the loader', () => {
  it('the good file passes both', () => {
    expect(validate(parse(GOOD))).toBe(true);
    expect(parseScenario(GOOD, 'good.toml').jobs).toHaveLength(1);
  });

  const cases: [string, string, string][] = [
    ['an unknown key in a job', GOOD.replace('iodepth = 4', 'queue_depth = 4'), 'job[0]'],
    ['a duration without a unit', GOOD.replace('delay = "20us"', 'delay = 20000'), 'link[0].delay'],
    ['a size with a rate unit', GOOD.replace('size = "64MiB"', 'size = "64MB/s"'), 'server[0].export[0].size'],
    ['an unknown rw mode', GOOD.replace('rw = "randread"', 'rw = "randomread"'), 'job[0].rw'],
    ['an iodepth of 0', GOOD.replace('iodepth = 4', 'iodepth = 0'), 'job[0].iodepth'],
    ['an unknown timeline action', GOOD.replace('action = "crash"', 'action = "explode"'), 'at[0].action'],
    ['an unknown [nbd] key', `${GOOD}\n[nbd]\nconnection_pool = 2\n`, 'nbd'],
  ];
  it.each(cases)('%s', (_name, text, keyPath) => {
    expect(validate(parse(text))).toBe(false);
    let err: unknown;
    try {
      parseScenario(text, 'bad.toml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).message).toContain(keyPath);
  });
});
