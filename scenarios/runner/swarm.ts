/**
 * Swarm testing (TigerBeetle-style): the seed also draws the fault mix. From the stream
 * `runner/swarm`, each server cable gets its own loss / duplicate / reorder rates, each
 * timeline fault happens or not (a restart follows its crash's draw, so a host never stays down
 * because its restart was drawn away), and up to two more faults are added (drawFaults).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Machine } from '../machine/machine.ts';
import type { Rng } from '../../hw-sim/engine/rng.ts';
import type { SwarmShape } from './swarm-shape.ts';
import { normaliseTimeline } from '../schema/normalise.ts';
import { timelineSchema } from '../schema/timeline.ts';
import { CLIENT_HOST, type Scenario, type SwarmBounds, type TimelineEvent } from '../schema/types.ts';

/** Upper bounds of the drawn link rates. */
const MAX_LOSS = 0.02;
const MAX_DUP = 0.02;
const MAX_REORDER = 0.03;
/** Chance that a timeline fault happens. */
const KEEP = 0.6;

/**
 * What one seed drew, in the terms of the scenario file (the `runner swarm.draw` record), so a
 * draw can be printed and written into a scenario (tools/shrink): impairments per server host's
 * link, the indices of the file's [[at]] events that happen, [[at]] tables the seed added, and
 * values drawn for [nbd] keys, jobs (by name) and server disks (by host).
 */
export interface SwarmDraw {
  readonly links: Record<string, { loss: number; duplicate: number; reorder: number; rate?: string }>;
  readonly kept: readonly number[];
  readonly added: readonly Record<string, unknown>[];
  readonly nbd: Record<string, unknown>;
  /** [machine] keys drawn (plug); absent in draws recorded before it was drawn. */
  readonly machine?: Record<string, unknown>;
  readonly jobs: Record<string, Record<string, unknown>>;
  readonly disks: Record<string, string>;
}

/** Draws link rates now and returns which timeline events to apply. */
export function drawSwarm(s: Scenario, engine: Engine, machine: Machine, shape?: SwarmShape): { enabled: (ev: TimelineEvent) => boolean; added: TimelineEvent[]; description: string } {
  const rng = engine.rng.get('runner/swarm');
  const b = s.swarm ?? {};
  const links: SwarmDraw['links'] = {};
  for (const h of machine.hosts.values()) {
    if (h.name === CLIENT_HOST) continue;
    const imp = { loss: rng.range(...(b.loss ?? [0, MAX_LOSS])), duplicate: rng.range(...(b.duplicate ?? [0, MAX_DUP])), reorder: rng.range(...(b.reorder ?? [0, MAX_REORDER])) };
    h.link.setImpairments(imp);
    const rate = shape?.rates[h.name];
    links[h.name] = rate ? { ...imp, rate } : imp;
  }
  const keep = new Map<number, boolean>();
  const crashKept = new Map<string, boolean>();
  for (const ev of s.timeline) {
    let k: boolean;
    if (ev.action === 'mgmt') k = true;
    else if (ev.action === 'restart') k = crashKept.get(ev.server) ?? true;
    else k = rng.chance(b.keep ?? KEEP);
    if (ev.action === 'crash') crashKept.set(ev.server, k);
    keep.set(ev.index, k);
  }
  const added = drawFaults(s, rng, b);
  const draw: SwarmDraw = { links, kept: [...keep.entries()].filter(([, k]) => k).map(([i]) => i), added, nbd: shape?.nbd ?? {}, machine: shape?.machine ?? {}, jobs: shape?.jobs ?? {}, disks: shape?.disks ?? {} };
  engine.trace.emit('runner', 'swarm.draw', { ...draw });
  const events = added.length === 0 ? [] : normaliseTimeline(added.map((a) => timelineSchema.parse(a)), s.servers, s.links)
    .map((e, k) => ({ ...e, index: s.timeline.length + k }));
  return { enabled: (ev) => keep.get(ev.index) ?? true, added: events, description: describeDraw(draw, s.timeline.length) };
}

/** One line saying what the seed drew (shown with the run's faults). */
function describeDraw(d: SwarmDraw, fileEvents: number): string {
  const pct = (p: number): string => `${(p * 100).toFixed(2)}%`;
  const links = Object.entries(d.links).map(([h, l]) => `${h}${l.rate ? ` ${l.rate}` : ''} loss ${pct(l.loss)} dup ${pct(l.duplicate)} reorder ${pct(l.reorder)}`);
  const added = d.added.map((a) => `${String(a['action'])} ${String(a['target'])} at ${String(a['time'])}${a['direction'] ? ` ${String(a['direction'])}` : ''}${a['kind'] ? ` ${String(a['kind'])}` : ''}${a['error'] ? ` ${String(a['error'])}` : ''}`);
  const shape = [
    ...Object.entries(d.nbd).map(([k, v]) => `${k} ${String(v)}`),
    ...Object.entries(d.machine ?? {}).map(([k, v]) => `${k} ${String(v)}`),
    ...Object.entries(d.jobs).map(([j, v]) => `job ${j} ${Object.entries(v).map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`).join(' ')}`),
    ...Object.entries(d.disks).map(([h, v]) => `${h} disk ${v}`),
  ];
  return `swarm drew: links [${links.join('; ')}], [[at]] kept ${d.kept.length}/${fileEvents}, added [${added.join('; ')}]${shape.length > 0 ? `, ${shape.join(', ')}` : ''}`;
}

/** Most faults a seed adds to the file's timeline. */
const MAX_ADDED = 2;
const MALFORMED_KINDS = ['bad-magic', 'bad-cookie', 'short', 'oversized'] as const;
/** Added fault kinds without [swarm] fault_kinds (disk errors fail I/Os: a scenario asks for them). */
const DEFAULT_KINDS = ['partition', 'slow', 'hang', 'malformed'] as const;
/** Largest range a drawn disk error covers. */
const DISK_ERROR_SPAN = 1 << 20;

/**
 * Faults the seed adds, as [[at]] tables: one-way partitions, slow and hung servers, each kind
 * of malformed reply, at times up to the file's last event (at least 30 ms), each healing
 * within 100 ms so liveness stays checkable.
 */
function drawFaults(s: Scenario, rng: Rng, b: SwarmBounds): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (s.servers.length === 0 || s.links.length === 0) return out;
  const horizon = Math.max(30_000_000, ...s.timeline.map((e) => e.atNs));
  const ns = (lo: number, hi: number): string => `${Math.floor(rng.range(lo, hi))}ns`;
  const [lo, hi] = b.faults ?? [0, MAX_ADDED];
  const n = lo + rng.int(hi - lo + 1);
  const kinds = b.faultKinds ?? DEFAULT_KINDS;
  for (let i = 0; i < n; i++) {
    const time = ns(1_000_000, horizon);
    const server = s.servers[rng.int(s.servers.length)]!.name;
    const link = s.links[rng.int(s.links.length)]!;
    switch (kinds[rng.int(kinds.length)]!) {
      case 'partition': {
        const [a, b] = rng.chance(0.5) ? link.between : [link.between[1], link.between[0]];
        out.push({ time, action: 'partition', target: link.name, duration: ns(5_000_000, 100_000_000), direction: `${a}->${b}` });
        break;
      }
      case 'slow':
        out.push({ time, action: 'slow', target: server, delay: ns(100_000, 10_000_000), duration: ns(10_000_000, 100_000_000) });
        break;
      case 'hang':
        out.push({ time, action: 'hang', target: server, duration: ns(5_000_000, 100_000_000) });
        break;
      case 'malformed':
        out.push({ time, action: 'malformed', target: server, kind: MALFORMED_KINDS[rng.int(MALFORMED_KINDS.length)]! });
        break;
      case 'disk-error': {
        // A range of the server's first export fails its writes for a while (reads stay good, so
        // the read-back after the run can check what was written); within the first job's region.
        const exportSize = s.servers.find((x) => x.name === server)!.exports[0]?.sizeBytes ?? 0;
        const job = s.jobs[0];
        const from = job ? Math.min(job.offsetBytes, exportSize) : 0;
        const to = job ? Math.min(job.offsetBytes + job.sizeBytes, exportSize) : exportSize;
        const length = Math.min(DISK_ERROR_SPAN, to - from);
        if (length <= 0) break;
        const offset = from + 4096 * rng.int(Math.floor((to - from - length) / 4096) + 1);
        const errors = b.diskErrors ?? ['EIO', 'ENOSPC'];
        out.push({ time, action: 'disk-eio', target: server, offset, length, ops: ['write'],
          error: errors[rng.int(errors.length)]!, duration: ns(5_000_000, 100_000_000) });
      }
    }
  }
  return out;
}
