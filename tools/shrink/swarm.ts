/**
 * Writing a swarm run's draw into the scenario document, so the shrinker can drop drawn faults
 * one by one and the minimal scenario runs without --swarm. The draw is read from the run's
 * `runner swarm.draw` trace record (scenarios/runner/swarm.ts), which states it in the terms of
 * the scenario file: link impairments per server host, the file's [[at]] events kept, the
 * events the seed added, and the values drawn for [nbd] keys, jobs and disks.
 */
import type { Runner } from '../../scenarios/runner/types.ts';
import { parseScenario } from '../../scenarios/schema/load.ts';
import { stringify } from 'smol-toml';
import { cloneDoc, type Doc, type Table } from './candidates.ts';
import type { SwarmDraw } from '../../scenarios/runner/swarm.ts';

export function drawOf(runner: Runner, doc: Doc, seed: number, faultInjection?: string): SwarmDraw | undefined {
  let draw: SwarmDraw | undefined;
  const s = parseScenario(stringify(doc), 'swarm.toml');
  runner.runScenario(s, seed, {
    swarm: true,
    untilNs: 0,
    ...(faultInjection ? { faultInjection } : {}),
    onTrace: (r) => { if (r.src === 'runner' && r.kind === 'swarm.draw') draw = r.data as unknown as SwarmDraw; },
  });
  return draw;
}

/** The document with the swarm's draw for `seed` written in; undefined if it cannot be. */
export function materialiseSwarm(runner: Runner, doc: Doc, seed: number, faultInjection?: string): Doc | undefined {
  const draw = drawOf(runner, doc, seed, faultInjection);
  if (!draw) return undefined;
  return applyDraw(doc, draw);
}

export function applyDraw(doc: Doc, draw: SwarmDraw): Doc | undefined {
  const d = cloneDoc(doc);
  const links = Array.isArray(d['link']) ? (d['link'] as Table[]) : [];
  for (const [host, imp] of Object.entries(draw.links)) {
    const l = links.find((x) => Array.isArray(x['between']) && (x['between'] as unknown[]).includes(host));
    if (!l) return undefined;
    Object.assign(l, imp);
  }
  const ats = Array.isArray(d['at']) ? (d['at'] as Table[]) : [];
  const kept = new Set(draw.kept);
  d['at'] = [...ats.filter((_, i) => kept.has(i)), ...draw.added];
  if (Object.keys(draw.nbd).length > 0) d['nbd'] = { ...((d['nbd'] as Table | undefined) ?? {}), ...draw.nbd };
  if (draw.machine && Object.keys(draw.machine).length > 0) d['machine'] = { ...((d['machine'] as Table | undefined) ?? {}), ...draw.machine };
  const jobs = Array.isArray(d['job']) ? (d['job'] as Table[]) : [];
  for (const [name, set] of Object.entries(draw.jobs)) {
    const j = jobs.find((x) => x['name'] === name);
    if (j) Object.assign(j, set);
  }
  const servers = Array.isArray(d['server']) ? (d['server'] as Table[]) : [];
  for (const [name, disk] of Object.entries(draw.disks)) {
    const s = servers.find((x) => x['name'] === name);
    if (s) s['disk'] = disk;
  }
  return d;
}
