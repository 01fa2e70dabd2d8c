/**
 * The `[[at]]` timeline: each event scheduled on the engine at its virtual time and applied to
 * the machine (hosts, cables, server programs, disks) or the driver (management commands).
 * Every applied fault is a trace record (`runner/fault.<action>`) and a line in the result.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Link, LinkDirection } from '../../hw-sim/net/link.ts';
import type { Misbehaviour } from '../hosts/nbd-server/protocol/faults.ts';
import type { NbdServerProgram } from '../hosts/nbd-server/program.ts';
import type { Machine } from '../machine/machine.ts';
import { CLIENT_HOST, type Ns, type Scenario, type TimelineEvent } from '../schema/types.ts';
import type { AppliedFault, MgmtOutput } from './types.ts';
import { addEio } from './servers.ts';
import type { SharedVolume } from '../../hw-sim/disk/shared-volume.ts';
import { formatByteRange, formatNsExact } from '../checkers/units.ts';

export interface TimelineTarget {
  readonly engine: Engine;
  readonly machine: Machine;
  readonly servers: ReadonlyMap<string, NbdServerProgram>;
  /** Tells the history a host (a server, or the client) lost power. */
  crashed(atNs: Ns, server: string): void;
  /** Shared volumes by name, and telling the history one lost power (every device over it may lose unflushed writes). */
  readonly volumes?: ReadonlyMap<string, SharedVolume>;
  volumeLost?: (atNs: Ns, volume: string) => void;
  /** The client host crashes (true: its cable goes down, the driver loses its cache) or boots again (false). */
  clientCrash?: (down: boolean) => void;
  mgmt(argv: readonly string[]): MgmtOutput;
  /** Swarm: whether this event happens in this run (default: all do). */
  enabled?: (ev: TimelineEvent) => boolean;
}

export interface TimelineLog {
  readonly faults: AppliedFault[];
  readonly mgmt: (MgmtOutput & { readonly atNs: Ns })[];
  /** When each fault healed (partition/link/EIO/slow/hang ended, server restarted): recovery is measured from these. */
  readonly healsNs: Ns[];
  /** Management commands of the timeline that failed (bad command or arguments). */
  readonly mgmtErrors: string[];
  /** Timeline events and heals scheduled but not applied yet: the run is not over before 0 (two at the last instant both apply). */
  pending: number;
  /** Applies one more event now (the stepper's `fork`), as if the timeline had it at this time. */
  inject(ev: TimelineEvent): void;
}

const HEALS: ReadonlySet<unknown> = new Set(['heal', 'link-up', 'restart']);

const MALFORMED: Readonly<Record<string, Misbehaviour>> = {
  'bad-magic': 'bad-magic', 'bad-cookie': 'wrong-cookie', short: 'truncated-reply', oversized: 'unsolicited-reply',
  'reversed-chunks': 'reversed-chunks', 'stale-reply': 'stale-reply',
};

const ms = formatNsExact;

/** Schedules every timeline event; the log fills as they apply. */
export function scheduleTimeline(s: Scenario, t: TimelineTarget): TimelineLog {
  const log: TimelineLog = { faults: [], mgmt: [], healsNs: [], mgmtErrors: [], pending: s.timeline.length, inject: (ev) => at(ev, false) };
  const apply = (what: string, data: Record<string, unknown>, fn: () => void): void => {
    fn();
    log.faults.push({ atNs: t.engine.now, description: what });
    if (HEALS.has(data['action'])) log.healsNs.push(t.engine.now);
    t.engine.trace.emit('runner', `fault.${String(data['action'])}`, data);
  };
  const later = (durationNs: Ns | undefined, what: string, fn: () => void): void => {
    if (durationNs === undefined) return;
    log.pending++;
    t.engine.schedule(durationNs, () => {
      log.pending--;
      apply(what, { action: 'heal', what }, fn);
    }, 'runner.heal');
  };
  function at(ev: TimelineEvent, drawn: boolean): void {
    if (ev.action === 'mgmt') {
      const out = runMgmt(t, ev.argv, log.mgmtErrors);
      log.mgmt.push({ ...out, atNs: t.engine.now });
      t.engine.trace.emit('runner', 'mgmt', { argv: ev.argv.join(' ') });
      return;
    }
    if (drawn && t.enabled && !t.enabled(ev)) {
      log.faults.push({ atNs: t.engine.now, description: `(swarm: ${ev.action} #${ev.index} not drawn)` });
      return;
    }
    applyEvent(s, t, ev, apply, later);
  }
  for (const ev of s.timeline) {
    t.engine.scheduleAt(ev.atNs, () => {
      log.pending--;
      at(ev, true);
    }, `runner.at.${ev.action}`);
  }
  return log;
}

function runMgmt(t: TimelineTarget, argv: readonly string[], errors: string[]): MgmtOutput {
  try {
    return t.mgmt(argv);
  } catch (e) {
    const message = (e as Error).message;
    errors.push(`[[at]] ${ms(t.engine.now)} ${argv.join(' ')}: ${message}`);
    return { command: argv, data: { error: message } };
  }
}

type Apply = (what: string, data: Record<string, unknown>, fn: () => void) => void;
type Later = (durationNs: Ns | undefined, what: string, fn: () => void) => void;

function applyEvent(s: Scenario, t: TimelineTarget, ev: Exclude<TimelineEvent, { action: 'mgmt' }>, apply: Apply, later: Later): void {
  const data: Record<string, unknown> = { action: ev.action, index: ev.index };
  switch (ev.action) {
    case 'crash': {
      if (ev.server === CLIENT_HOST) {
        apply('crash client (its cache is lost, unflushed write-back data with it)', { ...data, server: ev.server }, () => {
          t.clientCrash?.(true);
          t.crashed(t.engine.now, ev.server);
        });
        return;
      }
      const prog = program(t, ev.server);
      const cable = t.machine.host(ev.server).link;
      apply(`crash server ${ev.server} (power loss: unflushed writes lost)`, { ...data, server: ev.server }, () => {
        prog.crash();
        cable.setImpairments({ up: false });
        t.crashed(t.engine.now, ev.server);
      });
      return;
    }
    case 'restart': {
      if (ev.server === CLIENT_HOST) {
        apply('restart client', { ...data, server: ev.server }, () => t.clientCrash?.(false));
        return;
      }
      const prog = program(t, ev.server);
      const cable = t.machine.host(ev.server).link;
      apply(`restart server ${ev.server}`, { ...data, server: ev.server }, () => {
        cable.setImpairments({ up: true });
        prog.start();
      });
      return;
    }
    case 'partition':
    case 'link-down': {
      const cable = cableOf(s, t, ev.link);
      const dir = ev.action === 'partition' ? ev.direction : undefined;
      const patch = ev.action === 'partition' ? { partition: dir ? cableDirection(s, ev.link, dir.from) : 'both' as const } : { up: false };
      const undo = ev.action === 'partition' ? { partition: 'none' as const } : { up: true };
      const dur = ev.durationNs === undefined ? '' : ` for ${ms(ev.durationNs)}`;
      const way = dir ? ` (${dir.from}->${dir.to} only)` : '';
      const dirData = dir ? { direction: `${dir.from}->${dir.to}` } : {};
      apply(`${ev.action} ${ev.link}${way}${dur}`, { ...data, link: ev.link, ...dirData }, () => cable.setImpairments(patch));
      later(ev.durationNs, `${ev.action === 'partition' ? 'heal' : 'link-up'} ${ev.link}`, () => cable.setImpairments(undo));
      return;
    }
    case 'heal':
    case 'link-up': {
      const cable = cableOf(s, t, ev.link);
      apply(`${ev.action} ${ev.link}`, { ...data, link: ev.link }, () => cable.setImpairments(ev.action === 'heal' ? { partition: 'none' } : { up: true }));
      return;
    }
    case 'set-link': {
      const cable = cableOf(s, t, ev.link);
      const { loss, duplicate, reorder, corrupt } = ev.set;
      const patch = {
        ...(loss !== undefined ? { loss } : {}), ...(duplicate !== undefined ? { duplicate } : {}),
        ...(reorder !== undefined ? { reorder } : {}), ...(corrupt !== undefined ? { corrupt } : {}),
      };
      // rate, delay and jitter never get here: the loader refuses them (fixed once a cable is built).
      apply(`set ${ev.link} ${JSON.stringify(patch)}`, { ...data, link: ev.link, ...patch }, () => cable.setImpairments(patch));
      return;
    }
    case 'disk-eio': {
      const prog = program(t, ev.server);
      let disarm = (): void => {};
      const dur = ev.durationNs === undefined ? '' : ` for ${ms(ev.durationNs)}`;
      apply(`${ev.error} on ${ev.server}/${ev.export} ${formatByteRange(ev.offsetBytes, ev.lengthBytes)} ${ev.ops.join(',') || 'all ops'}${dur}`, { ...data, server: ev.server, error: ev.error }, () => {
        disarm = addEio(prog, { export: ev.export, offsetBytes: ev.offsetBytes, lengthBytes: ev.lengthBytes, ops: ev.ops, rate: 1, error: ev.error });
      });
      later(ev.durationNs, `${ev.error} range on ${ev.server}/${ev.export} cleared`, () => disarm());
      return;
    }
    case 'slow': {
      const f = program(t, ev.server).server.faults;
      const before = f.delayNs;
      apply(`slow server ${ev.server}: +${ms(ev.delayNs)} per reply`, { ...data, server: ev.server, delayNs: ev.delayNs }, () => { f.delayNs = ev.delayNs; });
      later(ev.durationNs, `server ${ev.server} back to normal speed`, () => { f.delayNs = before; });
      return;
    }
    case 'hang': {
      const srv = program(t, ev.server).server;
      apply(`hang server ${ev.server} (requests swallowed)`, { ...data, server: ev.server }, () => srv.setHang(true));
      later(ev.durationNs, `server ${ev.server} answers again`, () => srv.setHang(false));
      return;
    }
    case 'malformed': {
      const f = program(t, ev.server).server.faults;
      const kind = MALFORMED[ev.kind] ?? 'bad-magic';
      apply(`malformed replies from ${ev.server}: ${ev.count} × ${ev.kind}`, { ...data, server: ev.server, kind }, () => f.misbehave(kind, ev.count));
      return;
    }
    case 'nic-dma-corrupt': {
      const nic = t.machine.host(ev.host).nic;
      const dur = ev.durationNs === undefined ? '' : ` for ${ms(ev.durationNs)}`;
      apply(`NIC rx DMA corruption on ${ev.host}: ${ev.rate} per packet${dur}`, { ...data, host: ev.host, rate: ev.rate }, () => nic.setRxDmaCorruption(ev.rate));
      later(ev.durationNs, `NIC of ${ev.host} DMAs cleanly again`, () => nic.setRxDmaCorruption(0));
      return;
    }
    case 'dma-error': {
      const engines = ev.device === 'nic' ? [t.machine.host(ev.host).nic.dma] : [...program(t, ev.host).disks.values()].map((d) => d.dma);
      const dur = ev.durationNs === undefined ? '' : ` for ${ms(ev.durationNs)}`;
      const what = ev.device === 'nic' ? `NIC of ${ev.host}` : `disks of ${ev.host}`;
      apply(`DMA errors on the ${what}: ${ev.rate} per descriptor${dur}`, { ...data, host: ev.host, device: ev.device, rate: ev.rate }, () => { for (const d of engines) d.setErrorRate(ev.rate); });
      later(ev.durationNs, `DMA of the ${what} sound again`, () => { for (const d of engines) d.setErrorRate(0); });
      return;
    }
    case 'volume-power-loss': {
      const v = t.volumes?.get(ev.volume);
      if (!v) throw new Error(`timeline: no volume '${ev.volume}'`);
      apply(`power loss of volume ${ev.volume} (its unflushed writes lost)`, { ...data, volume: ev.volume }, () => {
        v.powerLoss();
        t.volumeLost?.(t.engine.now, ev.volume);
      });
      return;
    }
    case 're-export': {
      const prog = program(t, ev.server);
      const v = t.volumes?.get(ev.volume);
      if (!v) throw new Error(`timeline: no volume '${ev.volume}'`);
      apply(`re-export ${ev.server}/${ev.export} from volume ${ev.volume} (its program restarts serving another store)`, { ...data, server: ev.server, volume: ev.volume }, () => prog.reExport(ev.export, v));
      return;
    }
    case 'mem-bitflip': {
      const f = program(t, ev.server).server.faults;
      const dur = ev.durationNs === undefined ? '' : ` for ${ms(ev.durationNs)}`;
      apply(`memory bit flips on ${ev.server}: ${ev.rate} per READ reply${dur}`, { ...data, server: ev.server, rate: ev.rate }, () => { f.memFlipRate = ev.rate; });
      later(ev.durationNs, `memory of ${ev.server} sound again`, () => { f.memFlipRate = 0; });
      return;
    }
  }
}

function program(t: TimelineTarget, server: string): NbdServerProgram {
  const p = t.servers.get(server);
  if (!p) throw new Error(`timeline: no NBD server on host '${server}'`);
  return p;
}

/** The cable a scenario link acts on: the server end's (the client's cable is shared by all). */
function cableOf(s: Scenario, t: TimelineTarget, name: string): Link {
  return t.machine.host(cableEnd(s, name)).link;
}

function cableEnd(s: Scenario, name: string): string {
  const spec = s.links.find((l) => l.name === name);
  if (!spec) throw new Error(`timeline: no link '${name}'`);
  return spec.between[0] === CLIENT_HOST ? spec.between[1] : spec.between[0];
}

/** The cable's direction for traffic leaving `from`: the host's NIC is side a, the switch side b. */
function cableDirection(s: Scenario, name: string, from: string): LinkDirection {
  return from === cableEnd(s, name) ? 'a->b' : 'b->a';
}
