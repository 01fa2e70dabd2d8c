/**
 * A scenario's topology as a machine description. The fabric is a star (every host cabled to one
 * switch), so a scenario link `client<->X` becomes server X's cable: its rate, delay, jitter and
 * impairments. The client's cable stands in for one port per link: it carries the sum of the
 * servers' cable rates (capped by `[machine] nic.rate`), with no delay and no impairments, so a
 * single 10 GbE link is 10 GbE end to end and the switch never turns a faster client cable into
 * drops at a server's port. A fault on link `client<->X` acts on X's cable only.
 */
import type { MachineConfig, HostConfig } from '../machine/config.ts';
import { CLIENT_HOST, type LinkSpec, type Scenario } from '../schema/types.ts';
import { CLIENT_ADDRESS } from '../schema/address.ts';

/** Hold-back of a reordered frame: a few packet times on a fast link. */
export const REORDER_DELAY_NS = 30_000;

/** Default cable when a server has no `[[link]]`: 25 GbE, 20 µs. */
const DEFAULT_RATE = 25e9;
const DEFAULT_DELAY_NS = 20_000;

export function clientIp(): string {
  return CLIENT_ADDRESS;
}

export function serverIp(i: number): string {
  return `10.0.0.${10 + i}`;
}

/** The link spec that cables `server` (the one naming it), if any. */
export function linkOfServer(s: Scenario, server: string): LinkSpec | undefined {
  return s.links.find((l) => l.between.includes(server));
}

export function machineConfigOf(s: Scenario): MachineConfig {
  const m = s.machine;
  const coalesce = m.irqCoalescing.frames > 0 || m.irqCoalescing.delayNs > 0
    ? { maxEvents: Math.max(1, m.irqCoalescing.frames), maxDelayNs: m.irqCoalescing.delayNs }
    : null;
  const cables = s.servers.reduce((sum, srv) => sum + (linkOfServer(s, srv.name)?.rateBps ?? DEFAULT_RATE), 0) || DEFAULT_RATE;
  const clientRate = m.nic.rateBps !== undefined ? Math.min(m.nic.rateBps, cables) : cables;
  // Every link has the same MTU (the loader refuses others): every NIC takes it.
  const mtu = s.links[0]?.mtu ?? 1500;
  const nic = { mtu, rxRingSize: m.nic.rxRing, txRingSize: m.nic.txRing, rxCoalesce: coalesce };
  const hosts: HostConfig[] = [{
    name: CLIENT_HOST, role: 'client', ip: clientIp(), cores: m.cores, nic, tcp: { autocorking: m.tcp.autocorking },
    link: { rateBps: clientRate, propagationNs: 0 },
  }];
  s.servers.forEach((srv, i) => {
    const l = linkOfServer(s, srv.name);
    hosts.push({
      name: srv.name, role: 'server', ip: srv.address ?? serverIp(i), cores: srv.cores, nic,
      ...(srv.tcp ? { tcp: { autocorking: srv.tcp.autocorking } } : {}),
      link: l
        ? {
          rateBps: l.rateBps, propagationNs: l.delayNs, jitterNs: l.jitterNs,
          impairments: { loss: l.loss, duplicate: l.duplicate, reorder: l.reorder, reorderDelayNs: l.reorderDelayNs ?? REORDER_DELAY_NS, corrupt: l.corrupt },
        }
        : { rateBps: DEFAULT_RATE, propagationNs: DEFAULT_DELAY_NS },
    });
  });
  return { hosts };
}
