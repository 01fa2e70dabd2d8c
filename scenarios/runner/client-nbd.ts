/**
 * The NBD device on the client host: the scenario's `[nbd]` config handed to the driver
 * (drivers/nbd/driver.ts), which registers its gendisk and binds blk-mq and kernel sockets itself.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';
import type { NbdDevice } from '../../drivers/nbd/device.ts';
import { createNbd } from '../../drivers/nbd/driver.ts';
import { SimProtocolEngine } from '../../drivers/nbd/adapters/protocol-engine.ts';
import type { CpuCosts } from '../../hw-sim/cpu/costs.ts';
import type { Host } from '../machine/host.ts';
import type { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { CpuContext } from '../../kernel/core/cpu-context.ts';
import type { DriverCpu } from '../../drivers/nbd/io-path.ts';

export { NBD_MAX_IO } from '../../drivers/nbd/driver.ts';

export interface ClientNbdOptions {
  name: string;
  config: NbdConfig;
  queueDepth: number;
  /** blk-mq I/O scheduler of the device. */
  scheduler?: 'none' | 'mq-deadline';
  resolve: (name: string) => number | undefined;
  /** Injected bug drop-acked-write: answer true to acknowledge a write without sending it. */
  dropWrite?: (offset: number, length: number) => boolean;
  /** CPU costs of the machine (absent: cpu_cost_scale = 0): payload compression and checksums are charged to the client's cores. */
  costs?: CpuCosts | undefined;
}

/** The NBD device and its gendisk on the client host. */
export interface ClientNbd {
  readonly device: NbdDevice;
  readonly disk: GenDisk;
  /** Writes acknowledged by the broken-driver hook without being sent. */
  readonly dropped: number;
}

/** Adds `nbdN` on the client host; the driver starts connecting. */
export function attachNbdClient(engine: Engine, host: Host, o: ClientNbdOptions): ClientNbd {
  const k = host.kernel;
  const costs = o.costs;
  const protocol = costs && new SimProtocolEngine(engine, o.name, 0, { costs, charge: (ns, fn) => { k.hw.cpu.run(k.ctx.cpu, ns, fn, 'nbd.frame'); } });
  const { device, disk } = createNbd(k, o.name, {
    config: o.config, net: host.net, resolve: o.resolve, queueDepth: o.queueDepth,
    ...(protocol ? { protocol } : {}),
    ...(o.scheduler ? { scheduler: o.scheduler } : {}),
    ...(o.dropWrite ? { dropWrite: o.dropWrite } : {}),
  });
  if (costs && !engine.bugs.has('nbd-driver-cost-not-charged')) {
    device.io.cpu = new ClientDriverCpu(k.hw.cpu, k.ctx, costs.nbdQueueRqNs, costs.nbdReplyNs);
    device.security.tlsCpu = { nsPerByte: costs.aesGcmNsPerByte, charge: (ns) => { k.hw.cpu.charge(k.ctx.cpu, ns, 'nbd.tls'); } };
  }
  return {
    device, disk,
    get dropped() { return device.io.dropped; },
  };
}

/**
 * The driver's per-request CPU charges, as methods of a class: arrows made per world were
 * inlined into the driver's optimised code, which then died with the world (deopt 'weak objects').
 */
class ClientDriverCpu implements DriverCpu {
  constructor(private readonly cpu: Cpu, private readonly ctx: CpuContext, readonly queueRqNs: number, readonly replyNs: number) {}

  charge(ns: number): void {
    this.cpu.charge(this.ctx.cpu, ns, 'nbd.rq');
  }

  chargeReply(ns: number): void {
    this.cpu.charge(this.cpu.leastLoaded(), ns, 'nbd.reply');
  }
}
