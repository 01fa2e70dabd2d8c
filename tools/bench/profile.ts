// `npm run bench -- <suite> --profile`: V8's sampling profiler around the suite only (not the
// tsx start-up), then the functions with the most self time as file:function.
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { printTable } from './table.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time per function (file:function), in µs, heaviest first. */
export function selfTimes(p: CpuProfile): { where: string; us: number }[] {
  const whereOf = new Map<number, string>();
  const skip = inspectorNodes(p);
  for (const n of p.nodes) {
    if (skip.has(n.id)) continue;
    const f = n.callFrame;
    const file = f.url ? relative(process.cwd(), f.url.replace(/^file:\/\//, '')) : '';
    whereOf.set(n.id, `${file ? `${file}:` : ''}${f.functionName || '(anonymous)'}`);
  }
  const us = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const where = whereOf.get(samples[i]!);
    if (where === undefined) continue;
    us.set(where, (us.get(where) ?? 0) + (deltas[i] ?? 0));
  }
  return [...us.entries()].map(([where, t]) => ({ where, us: t })).sort((a, b) => b.us - a.us);
}

/** Nodes under the inspector's own calls (Profiler.stop): the profiler, not the code profiled. */
function inspectorNodes(p: CpuProfile): Set<number> {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const out = new Set<number>();
  const mark = (id: number): void => {
    if (out.has(id)) return;
    out.add(id);
    for (const c of byId.get(id)?.children ?? []) mark(c);
  };
  for (const n of p.nodes) if (n.callFrame.url === 'node:inspector' || n.callFrame.url === 'node:inspector/promises') mark(n.id);
  return out;
}

export function printProfile(title: string, p: CpuProfile, top = 25): void {
  const rows = selfTimes(p);
  const total = rows.reduce((s, r) => s + r.us, 0);
  printTable(
    `${title}: self time, top ${Math.min(top, rows.length)} of ${rows.length} functions (${(total / 1e6).toFixed(2)} s sampled)`,
    ['function', 'self ms', 'share'],
    rows.slice(0, top).map((r) => [r.where, (r.us / 1000).toFixed(1), `${((100 * r.us) / total).toFixed(1)} %`]),
  );
  const areas = byArea(rows);
  printTable(
    `${title}: self time by area (first two folders of the file; node internals, GC and natives apart)`,
    ['area', 'self ms', 'share'],
    areas.map((r) => [r.where, (r.us / 1000).toFixed(1), `${((100 * r.us) / total).toFixed(1)} %`]),
  );
}

/** Sums self time per area: `kernel/net`, `drivers/nbd`, … ; `node:` and bare natives by kind. */
export function byArea(rows: readonly { where: string; us: number }[]): { where: string; us: number }[] {
  const us = new Map<string, number>();
  for (const r of rows) {
    const file = r.where.includes(':') ? r.where.slice(0, r.where.lastIndexOf(':')) : '';
    let area: string;
    if (!file) area = r.where.startsWith('(') ? r.where : '(native)';
    else if (file.startsWith('node:')) area = '(node internals)';
    else if (file.startsWith('node_modules/')) area = `node_modules/${file.split('/')[1] ?? ''}`;
    else area = file.split('/').slice(0, 2).join('/');
    us.set(area, (us.get(area) ?? 0) + r.us);
  }
  return [...us.entries()].map(([where, t]) => ({ where, us: t })).sort((a, b) => b.us - a.us);
}

/** Runs `fn` under the CPU profiler and prints where the time went. */
export async function profiled(name: string, fn: () => void | Promise<void>, top = 25): Promise<void> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 200 });
  await s.post('Profiler.start');
  try {
    await fn();
  } finally {
    const { profile } = await s.post('Profiler.stop');
    s.disconnect();
    printProfile(`Profile of '${name}'`, profile as CpuProfile, top);
  }
}
