/**
 * Swarm testing (TigerBeetle-style): the seed also draws the fault mix. From the stream
 * `runner/swarm`, each server cable gets its own loss / duplicate / reorder rates and each
 * timeline fault happens or not (a restart follows its crash's draw, so a host never stays down
 * because its restart was drawn away).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Machine } from '../machine/machine.ts';
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
  readonly links: Record<string, { loss: number; duplicate: number; reorder: number }>;
  readonly kept: readonly number[];
  readonly added: readonly Record<string, unknown>[];
  readonly nbd: Record<string, unknown>;
  readonly jobs: Record<string, Record<string, unknown>>;
  readonly disks: Record<string, string>;
}

/** Draws link rates now and returns which timeline events to apply. */
export function drawSwarm(s: Scenario, engine: Engine, machine: Machine): (ev: TimelineEvent) => boolean {
  const rng = engine.rng.get('runner/swarm');
  const links: SwarmDraw['links'] = {};
  for (const h of machine.hosts.values()) {
    if (h.name === CLIENT_HOST) continue;
    const imp = { loss: rng.range(0, MAX_LOSS), duplicate: rng.range(0, MAX_DUP), reorder: rng.range(0, MAX_REORDER) };
    h.link.setImpairments(imp);
    links[h.name] = imp;
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
  const draw: SwarmDraw = { links, kept: [...keep.entries()].filter(([, k]) => k).map(([i]) => i), added: [], nbd: {}, jobs: {}, disks: {} };
  engine.trace.emit('runner', 'swarm.draw', { ...draw });
  return (ev) => keep.get(ev.index) ?? true;
}
