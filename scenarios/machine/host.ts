import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Fabric } from '../../hw-sim/net/fabric.ts';
import type { Link } from '../../hw-sim/net/link.ts';
import { Nic } from '../../hw-sim/net/nic.ts';
import { parseIp, type IpAddr } from '../../hw-sim/net/packet.ts';
import { Kernel, createHostHardware, type KernelHardware } from '../../kernel/core/kernel.ts';
import { createKernelNetStack } from '../../kernel/net/kernel-glue.ts';
import type { NetStack } from '../../kernel/net/stack.ts';
import { NicDriver } from '../../drivers/net/nic-driver.ts';
import { DEFAULT_CPU_COSTS, type CpuCosts } from '../../hw-sim/cpu/costs.ts';
import { DEFAULT_NIC, type HostConfig } from './config.ts';

/** Interrupt lines of the NIC on every host's controller. */
export const NIC_TX_IRQ = 10;
export const NIC_RX_IRQ = 11;
export const NIC_LINK_IRQ = 12;

/** One simulated machine: hardware, its kernel, the net stack, the NIC and its driver. */
export interface Host {
  readonly name: string;
  readonly role: 'client' | 'server';
  readonly ip: IpAddr;
  readonly config: HostConfig;
  readonly hw: KernelHardware;
  readonly kernel: Kernel;
  readonly nic: Nic;
  readonly nicDriver: NicDriver;
  readonly net: NetStack;
  /** The host's cable to the switch (`<host>-nic0`): impairments, flaps, taps. */
  readonly link: Link;
  /**
   * Block devices attached by whoever builds disks (hw-sim/disk + a driver): the hook is
   * `attachDisk`, which records the device under its name for later lookup.
   */
  readonly disks: Map<string, unknown>;
  attachDisk(name: string, disk: unknown): void;
}

/** `costs`: the machine's CPU cost table (per-packet protocol work, timer callbacks). */
export function buildHost(engine: Engine, fabric: Fabric, cfg: HostConfig, costs: CpuCosts = DEFAULT_CPU_COSTS): Host {
  const nicCfg = { ...DEFAULT_NIC, ...cfg.nic };
  const hw = createHostHardware(engine, cfg.name, { cores: cfg.cores ?? 4 });
  const kernel = new Kernel(engine, cfg.name, hw, { timerCallbackNs: costs.timerCallbackNs });
  const net = createKernelNetStack(kernel, { tcp: cfg.tcp });
  const nic = new Nic(engine, cfg.name, hw.irq, {
    name: 'nic0',
    mtu: nicCfg.mtu,
    txRingSize: nicCfg.txRingSize,
    rxRingSize: nicCfg.rxRingSize,
    dma: nicCfg.dma,
    txIrqLine: NIC_TX_IRQ,
    rxIrqLine: NIC_RX_IRQ,
    linkIrqLine: NIC_LINK_IRQ,
  });
  const ip = parseIp(cfg.ip);
  const nicDriver = new NicDriver(kernel, nic, net, {
    addr: ip,
    prefixLen: cfg.prefixLen ?? 24,
    txIrqLine: NIC_TX_IRQ,
    rxIrqLine: NIC_RX_IRQ,
    napiWeight: nicCfg.napiWeight,
    gsoMaxBytes: nicCfg.tso ? 65536 : 0,
    rxPacketCostNs: costs.netRxPacketNs,
    txPacketCostNs: costs.netTxPacketNs,
  });
  // Coalescing after request_irq (which installs the lines); ethtool -C semantics.
  nic.setCoalescing('rx', nicCfg.rxCoalesce ?? null);
  nic.setCoalescing('tx', nicCfg.txCoalesce ?? null);
  kernel.irq.request(NIC_LINK_IRQ, 'nic0-link', () => kernel.log.info('nic0', `carrier ${nic.carrier ? 'up' : 'down'}`));
  const link = fabric.connect(nic, ip, {
    rateBps: cfg.link.rateBps,
    propagationNs: cfg.link.propagationNs,
    jitterNs: cfg.link.jitterNs,
    impairments: cfg.link.impairments,
  });
  const disks = new Map<string, unknown>();
  return {
    name: cfg.name,
    role: cfg.role,
    ip,
    config: cfg,
    hw,
    kernel,
    nic,
    nicDriver,
    net,
    link,
    disks,
    attachDisk(name, disk) {
      if (disks.has(name)) throw new Error(`host ${cfg.name}: disk '${name}' already attached`);
      disks.set(name, disk);
      kernel.log.info('disk', `attached ${name}`);
    },
  };
}
