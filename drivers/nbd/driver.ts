/**
 * The NBD driver as a kernel driver: registered through the driver model as drivers/ramdisk is,
 * probed per device (`nbdN`), it adds a gendisk whose blk-mq ops are the driver's own
 * (queue_rq with `last`, commit_rqs, timeout, init_request). Everything per request lives in the
 * request's PDU (request.ts).
 *
 * Device resources (NbdResources): the `[nbd]` config, and either the host's net stack with a
 * name resolver (kernel TCP sockets) or another socket factory (an in-test network).
 */
import type { Device, DeviceDriver } from '../../kernel/core/driver-model.ts';
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { BlkMqOps } from '../../kernel/block/mq-ops.ts';
import type { SchedulerName } from '../../kernel/block/types.ts';
import { EINVAL } from '../../kernel/lib/errno.ts';
import type { NetStack } from '../../kernel/net/stack.ts';
import type { NbdConfig } from './config/types.ts';
import { DeviceStats } from './device-stats.ts';
import { NbdDevice } from './device.ts';
import type { ProtocolEngine } from './protocol-port.ts';
import { KernelSockets, type SocketFactory } from './socket.ts';

export const NBD_DRIVER = 'nbd';

/** Largest request the disk accepts (max_hw_sectors): 128 KiB, like Linux nbd's default. */
export const NBD_MAX_IO = 128 * 1024;

export interface NbdResources {
  config: NbdConfig;
  /** The host's net stack: the driver opens kernel TCP sockets on it. */
  net?: NetStack;
  /** Server name → address (default: parse it as an IPv4 address). */
  resolve?: (name: string) => number | undefined;
  /** Instead of `net`: another socket factory (an in-test network). */
  sockets?: SocketFactory;
  /** Driver tags (requests in flight at most). Default 128. */
  queueDepth?: number;
  /** blk-mq I/O scheduler of the device. Default none. */
  scheduler?: SchedulerName;
  protocol?: ProtocolEngine;
  /** Injected bug drop-acked-write: acknowledge this write without sending it. */
  dropWrite?: (offset: number, length: number) => boolean;
}

/** What probe leaves in dev.driverData. */
export interface NbdInstance {
  readonly device: NbdDevice;
  readonly disk: GenDisk;
}

export function nbdDriver(k: Kernel): DeviceDriver {
  return {
    name: NBD_DRIVER,
    probe(dev: Device): number {
      const r = dev.resources as Partial<NbdResources>;
      if (!r.config) {
        k.log.err(NBD_DRIVER, `${dev.name}: no [nbd] config`);
        return EINVAL;
      }
      if (r.config.servers.length === 0) {
        k.log.err(NBD_DRIVER, `${dev.name}: [nbd] lists no servers`);
        return EINVAL;
      }
      const sockets = r.sockets ?? (r.net ? new KernelSockets(r.net, r.resolve ?? (() => undefined)) : null);
      if (!sockets) {
        k.log.err(NBD_DRIVER, `${dev.name}: no net stack to open sockets on`);
        return EINVAL;
      }
      dev.driverData = attach(k, dev.name, r.config, sockets, r);
      return 0;
    },
    remove(dev: Device): void {
      const inst = dev.driverData as NbdInstance | null;
      if (!inst) return;
      inst.device.disconnect();
      k.block.delDisk(inst.disk.name);
    },
  };
}

function attach(k: Kernel, name: string, config: NbdConfig, sockets: SocketFactory, r: Partial<NbdResources>): NbdInstance {
  const tags = r.queueDepth ?? 128;
  const device = new NbdDevice(k, {
    name, config, sockets, tags, maxIo: NBD_MAX_IO,
    ...(r.protocol ? { protocol: r.protocol } : {}),
    ...(r.dropWrite ? { dropWrite: r.dropWrite } : {}),
  });
  // The stats tree's view of the device (device-stats.ts reads the device; the device does not import it).
  device.statsOut = new DeviceStats(device, k.stats);
  // The io path is the ops object itself (methods, not arrows): blk-mq's optimised dispatch
  // inlines the ops it calls, and a per-device closure would die with its world (a deopt per run).
  const ops: BlkMqOps = device.io;
  // One hardware queue: the driver tag is the cookie's low half, unique per device.
  const disk = k.block.addDisk({
    name, capacitySectors: 0, ops, nrHwQueues: 1, queueDepth: tags, timeoutNs: config.requestTimeoutNs, scheduler: r.scheduler ?? 'none',
    limits: { maxSectors: NBD_MAX_IO / 512, writeCache: true, fua: true, discard: true, writeZeroes: true },
  });
  device.attach(disk);
  return { device, disk };
}

/**
 * Registers the driver (once per kernel) and adds an NBD device; returns its instance.
 * Throws naming the device when probe fails.
 */
export function createNbd(k: Kernel, name: string, res: NbdResources): NbdInstance {
  if (!k.drivers.hasDriver(NBD_DRIVER)) k.drivers.registerDriver(nbdDriver(k));
  const dev = k.drivers.addDevice(name, NBD_DRIVER, res as unknown as Record<string, unknown>);
  if (!dev.driverData) throw new Error(`nbd ${name}: probe failed (see the kernel log)`);
  return dev.driverData as NbdInstance;
}
