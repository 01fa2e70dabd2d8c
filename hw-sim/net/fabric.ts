/**
 * The network fabric: a star of full-duplex links around one switch. Each host's NIC is side 'a'
 * of its link `<host>-<nic>`, the switch is side 'b'; the switch routes the host's IP to that port.
 * Sized for a client and up to 16 server hosts by default (ports: 32).
 */
import type { Engine } from '../engine/engine.ts';
import type { Ns } from '../engine/time.ts';
import type { Impairments } from './impairments.ts';
import { Link, type LinkTap } from './link.ts';
import type { Nic } from './nic.ts';
import type { IpAddr } from './packet.ts';
import { Switch, type SwitchConfig } from './switch.ts';

export interface FabricConfig {
  switch?: Partial<SwitchConfig>;
}

export interface HostLinkConfig {
  rateBps: number;
  propagationNs: Ns;
  jitterNs?: Ns;
  impairments?: Partial<Impairments>;
  /** Default `<host>-<nic name>`. */
  name?: string;
}

export class Fabric {
  /** Trace and RNG prefix of fabric devices: `fabric/<link>`, `fabric/sw0`. */
  static readonly HOST = 'fabric';
  readonly switch: Switch;
  private readonly links = new Map<string, Link>();
  private readonly taps: LinkTap[] = [];

  constructor(private readonly engine: Engine, cfg: FabricConfig = {}) {
    this.switch = new Switch(engine, Fabric.HOST, {
      name: cfg.switch?.name ?? 'sw0',
      ports: cfg.switch?.ports ?? 32,
      queueFrames: cfg.switch?.queueFrames ?? 1024,
      forwardingNs: cfg.switch?.forwardingNs ?? 0,
    });
  }

  /** Cables `nic` (with address `ip`) to the next free switch port. */
  connect(nic: Nic, ip: IpAddr, cfg: HostLinkConfig): Link {
    const name = cfg.name ?? `${nic.src.replace('/', '-')}`;
    if (this.links.has(name)) throw new Error(`fabric: link '${name}' already exists`);
    const port = this.switch.freePort();
    if (port < 0) throw new Error(`fabric: no free switch port for link '${name}' (${this.switch.portCount} ports)`);
    const link = new Link(this.engine, Fabric.HOST, {
      name, rateBps: cfg.rateBps, propagationNs: cfg.propagationNs, jitterNs: cfg.jitterNs ?? 0, impairments: cfg.impairments ?? {},
    });
    nic.attach(link, 'a');
    this.switch.connect(port, link, 'b');
    this.switch.addRoute(ip, port);
    for (const t of this.taps) link.addTap(t);
    this.links.set(name, link);
    return link;
  }

  link(name: string): Link {
    const l = this.links.get(name);
    if (!l) throw new Error(`fabric: no link '${name}' (links: ${[...this.links.keys()].join(', ') || 'none'})`);
    return l;
  }

  linkNames(): string[] {
    return [...this.links.keys()];
  }

  setImpairments(linkName: string, patch: Partial<Impairments>): void {
    this.link(linkName).setImpairments(patch);
  }

  /** Taps every link, present and future. */
  addTap(tap: LinkTap): void {
    this.taps.push(tap);
    for (const l of this.links.values()) l.addTap(tap);
  }
}
