/**
 * Machine description as plain data (what a scenario file's topology becomes): hosts, their
 * hardware and NIC settings, and the link that cables each host to the switch.
 */
import type { DmaCostModel } from '../../hw-sim/dma/cost.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { IrqCoalescing } from '../../hw-sim/irq/controller.ts';
import type { FabricConfig } from '../../hw-sim/net/fabric.ts';
import type { Impairments } from '../../hw-sim/net/impairments.ts';
import { parseIp } from '../../hw-sim/net/packet.ts';
import type { TcpConfig } from '../../kernel/net/tcp/config.ts';

export interface NicSettings {
  mtu?: number;
  txRingSize?: number;
  rxRingSize?: number;
  dma?: DmaCostModel;
  /** Interrupt coalescing (ethtool -C); null turns it off. */
  rxCoalesce?: IrqCoalescing | null;
  txCoalesce?: IrqCoalescing | null;
  napiWeight?: number;
  /** Segmentation offload on (default) or off. */
  tso?: boolean;
}

export interface LinkSettings {
  rateBps: number;
  propagationNs: Ns;
  jitterNs?: Ns;
  impairments?: Partial<Impairments>;
}

export interface HostConfig {
  name: string;
  role: 'client' | 'server';
  /** IPv4 address, dotted quad. All hosts share one /24 around the switch by default. */
  ip: string;
  prefixLen?: number;
  cores?: number;
  nic?: NicSettings;
  link: LinkSettings;
  tcp?: Partial<TcpConfig>;
}

export interface MachineConfig {
  hosts: HostConfig[];
  fabric?: FabricConfig;
}

/** The fabric carries one client and up to this many servers. */
export const MAX_SERVERS = 16;

export const DEFAULT_NIC: Required<Omit<NicSettings, 'rxCoalesce' | 'txCoalesce'>> & Pick<NicSettings, 'rxCoalesce' | 'txCoalesce'> = {
  mtu: 1500,
  txRingSize: 256,
  rxRingSize: 1024,
  // A PCIe 3.0 x8 NIC moves ~7.8 GB/s; ~500 ns per descriptor.
  dma: { setupNs: 500, bytesPerSecond: 7_800_000_000 },
  rxCoalesce: { maxEvents: 16, maxDelayNs: 10_000 },
  txCoalesce: { maxEvents: 32, maxDelayNs: 20_000 },
  napiWeight: 64,
  tso: true,
};

/** Checks the description before anything is built; errors name the host and the key. */
export function validateMachineConfig(cfg: MachineConfig): void {
  if (!Array.isArray(cfg.hosts) || cfg.hosts.length === 0) throw new Error('machine: hosts must be a non-empty list');
  const names = new Set<string>();
  const ips = new Set<number>();
  let clients = 0;
  let servers = 0;
  for (const [i, h] of cfg.hosts.entries()) {
    const where = `machine: hosts[${i}]${h && typeof h.name === 'string' ? ` ('${h.name}')` : ''}`;
    if (!h || typeof h.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/i.test(h.name)) throw new Error(`${where}: name must be letters, digits and '-'`);
    if (names.has(h.name)) throw new Error(`${where}: duplicate host name`);
    names.add(h.name);
    if (h.role === 'client') clients++;
    else if (h.role === 'server') servers++;
    else throw new Error(`${where}: role must be 'client' or 'server', got ${String(h.role)}`);
    let ip: number;
    try {
      ip = parseIp(h.ip);
    } catch {
      throw new Error(`${where}: ip '${String(h.ip)}' is not a dotted-quad IPv4 address`);
    }
    if (ips.has(ip)) throw new Error(`${where}: ip ${h.ip} is used twice`);
    ips.add(ip);
    if (h.cores !== undefined && !(Number.isInteger(h.cores) && h.cores >= 1)) throw new Error(`${where}: cores must be a positive integer`);
    if (!h.link || !(h.link.rateBps > 0)) throw new Error(`${where}: link.rateBps must be > 0`);
    if (!Number.isSafeInteger(h.link.propagationNs) || h.link.propagationNs < 0) throw new Error(`${where}: link.propagationNs must be a non-negative integer of ns`);
  }
  if (clients > 1) throw new Error(`machine: ${clients} client hosts; at most one`);
  if (servers > MAX_SERVERS) throw new Error(`machine: ${servers} server hosts; at most ${MAX_SERVERS}`);
}
