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
import { CLIENT_HOST, type Scenario, type TimelineEvent } from '../schema/types.ts';

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
  const links: SwarmDraw['links'] = {};
  for (const h of machine.hosts.values()) {
    if (h.name === CLIENT_HOST) continue;
    const imp = { loss: rng.range(0, MAX_LOSS), duplicate: rng.range(0, MAX_DUP), reorder: rng.range(0, MAX_REORDER) };
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
    else k = rng.chance(KEEP);
    if (ev.action === 'crash') crashKept.set(ev.server, k);
    keep.set(ev.index, k);
  }
  const added = drawFaults(s, rng);
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
  const added = d.added.map((a) => `${String(a['action'])} ${String(a['target'])} at ${String(a['time'])}${a['direction'] ? ` ${String(a['direction'])}` : ''}${a['kind'] ? ` ${String(a['kind'])}` : ''}`);
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

/**
 * Faults the seed adds, as [[at]] tables: one-way partitions, slow and hung servers, each kind
 * of malformed reply, at times up to the file's last event (at least 30 ms), each healing
 * within 100 ms so liveness stays checkable.
 */
function drawFaults(s: Scenario, rng: Rng): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (s.servers.length === 0 || s.links.length === 0) return out;
  const horizon = Math.max(30_000_000, ...s.timeline.map((e) => e.atNs));
  const ns = (lo: number, hi: number): string => `${Math.floor(rng.range(lo, hi))}ns`;
  const n = rng.int(MAX_ADDED + 1);
  for (let i = 0; i < n; i++) {
    const time = ns(1_000_000, horizon);
    const server = s.servers[rng.int(s.servers.length)]!.name;
    const link = s.links[rng.int(s.links.length)]!;
    switch (rng.int(4)) {
      case 0: {
        const [a, b] = rng.chance(0.5) ? link.between : [link.between[1], link.between[0]];
        out.push({ time, action: 'partition', target: link.name, duration: ns(5_000_000, 100_000_000), direction: `${a}->${b}` });
        break;
      }
      case 1:
        out.push({ time, action: 'slow', target: server, delay: ns(100_000, 10_000_000), duration: ns(10_000_000, 100_000_000) });
        break;
      case 2:
        out.push({ time, action: 'hang', target: server, duration: ns(5_000_000, 100_000_000) });
        break;
      default:
        out.push({ time, action: 'malformed', target: server, kind: MALFORMED_KINDS[rng.int(MALFORMED_KINDS.length)]! });
    }
  }
  return out;
}
