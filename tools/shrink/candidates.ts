/**
 * Smaller variants of a scenario document (the TOML as data): each candidate changes one value
 * or drops one thing, so a shrink step that keeps the failure can be accepted on its own. Values
 * only get smaller: fewer I/Os, smaller regions, shallower queues, earlier and shorter faults,
 * lower impairment rates, fewer connections and servers.
 */
import { parseDuration, parseFraction, parseSize } from '../../drivers/nbd/config/units.ts';

export type Doc = Record<string, unknown>;
export type Table = Record<string, unknown>;

export interface Candidate {
  readonly what: string;
  readonly apply: (d: Doc) => void;
}

const tables = (d: Doc, key: string): Table[] => (Array.isArray(d[key]) ? (d[key] as Table[]) : []);
const value = (p: { ok: boolean; value?: number }): number | undefined => (p.ok ? p.value : undefined);

/** Deep copy of a TOML document (plain data: tables, arrays, strings, numbers, booleans). */
export function cloneDoc(d: Doc): Doc {
  return structuredClone(d);
}

/** One round of candidates for `d`, smallest-effect-last (dropping things first). */
export function candidates(d: Doc): Candidate[] {
  const out: Candidate[] = [];
  const servers = tables(d, 'server');
  if (servers.length > 1) {
    for (const s of servers) {
      const name = String(s['name']);
      out.push({ what: `drop server ${name}`, apply: (x) => dropServer(x, name) });
    }
  }
  tables(d, 'job').forEach((j, i) => {
    const name = `job ${String(j['name'])}`;
    const bs = value(parseSize(j['bs'] ?? 4096)) ?? 4096;
    halve(out, `${name} ios`, j['ios'], 1, (x, v) => { job(x, i)['ios'] = v; });
    const size = value(parseSize(j['size']));
    if (size !== undefined && size / 2 >= bs && (size / 2) % bs === 0) out.push({ what: `${name} size ${size / 2}`, apply: (x) => { job(x, i)['size'] = size / 2; } });
    const rt = value(parseDuration(j['runtime']));
    if (rt !== undefined && rt >= 2_000_000) out.push({ what: `${name} runtime ${rt / 2e6}ms`, apply: (x) => { job(x, i)['runtime'] = `${Math.floor(rt / 2)}ns`; } });
    halve(out, `${name} iodepth`, j['iodepth'], 1, (x, v) => { job(x, i)['iodepth'] = v; });
    halve(out, `${name} numjobs`, j['numjobs'], 1, (x, v) => { job(x, i)['numjobs'] = v; });
  });
  const nbd = d['nbd'] as Table | undefined;
  if (nbd) halve(out, 'nbd connection_pool_size', nbd['connection_pool_size'], 1, (x, v) => { (x['nbd'] as Table)['connection_pool_size'] = v; });
  tables(d, 'at').forEach((a, i) => {
    const name = `[[at]] #${i} ${String(a['action'])}`;
    const t = value(parseDuration(a['time']));
    if (t !== undefined && t >= 2000) out.push({ what: `${name} time ${t / 2e6}ms`, apply: (x) => { at(x, i)['time'] = `${Math.floor(t / 2)}ns`; } });
    const dur = value(parseDuration(a['duration']));
    if (dur !== undefined && dur >= 2000) out.push({ what: `${name} duration ${dur / 2e6}ms`, apply: (x) => { at(x, i)['duration'] = `${Math.floor(dur / 2)}ns`; } });
    halve(out, `${name} count`, a['count'], 1, (x, v) => { at(x, i)['count'] = v; });
  });
  tables(d, 'link').forEach((l, i) => {
    for (const k of ['loss', 'duplicate', 'reorder', 'corrupt']) {
      const p = value(parseFraction(l[k]));
      if (p === undefined || p === 0) continue;
      out.push({ what: `link #${i} ${k} 0`, apply: (x) => { delete tables(x, 'link')[i]![k]; } });
      if (p > 1e-4) out.push({ what: `link #${i} ${k} ${p / 2}`, apply: (x) => { tables(x, 'link')[i]![k] = p / 2; } });
    }
  });
  return out;
}

function halve(out: Candidate[], what: string, v: unknown, min: number, set: (d: Doc, v: number) => void): void {
  if (typeof v !== 'number' || v <= min) return;
  const to = Math.max(min, Math.floor(v / 2));
  out.push({ what: `${what} ${to}`, apply: (d) => set(d, to) });
}

const job = (d: Doc, i: number): Table => tables(d, 'job')[i]!;
const at = (d: Doc, i: number): Table => tables(d, 'at')[i]!;

/** Removes a server host with its links, its timeline events and its [nbd] servers entries. */
function dropServer(d: Doc, name: string): void {
  d['server'] = tables(d, 'server').filter((s) => s['name'] !== name);
  d['link'] = tables(d, 'link').filter((l) => !(Array.isArray(l['between']) && (l['between'] as unknown[]).includes(name)));
  d['at'] = tables(d, 'at').filter((a) => a['target'] !== name && !String(a['target'] ?? '').split('<->').includes(name));
  const nbd = d['nbd'] as Table | undefined;
  if (nbd && Array.isArray(nbd['servers'])) nbd['servers'] = (nbd['servers'] as Table[]).filter((s) => s['name'] !== name);
}
