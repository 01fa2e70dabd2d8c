/**
 * brd-like RAM-disk driver: a blk-mq driver whose device is RamdiskDevice. queueRq hands the
 * request to the device; the device's interrupt reaps the completion ring and completes each
 * request through blk-mq (interrupt → BLOCK softirq).
 *
 * Device resources: `irq` (line number, required), `model` (Partial<RamdiskModel>), `sizeBytes`,
 * `nrHwQueues`, `queueDepth`, `scheduler`, `writeCache`. Module parameters give the defaults.
 */
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { Device, DeviceDriver } from '../../kernel/core/driver-model.ts';
import { blkMqComplete } from '../../kernel/block/api.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { BlkMqOps } from '../../kernel/block/mq-ops.ts';
import { BLK_STS, type SchedulerName } from '../../kernel/block/types.ts';
import { EINVAL, ENODEV } from '../../kernel/lib/errno.ts';
import { RamdiskDevice } from './device.ts';
import { DEFAULT_RAMDISK_MODEL, checkModel, type RamdiskModel } from './model.ts';
import { RamPages } from './pages.ts';

export const RAMDISK_DRIVER = 'ramdisk';

export interface RamdiskResources {
  irq: number;
  sizeBytes?: number;
  model?: Partial<RamdiskModel>;
  nrHwQueues?: number;
  queueDepth?: number;
  scheduler?: SchedulerName;
  /** Pretend to have a volatile cache, so flushes reach the device (tests of FLUSH/FUA paths). */
  writeCache?: boolean;
}

/** What probe leaves in dev.driverData. */
export interface RamdiskInstance {
  readonly disk: GenDisk;
  readonly device: RamdiskDevice;
  readonly pages: RamPages;
}

export function ramdiskDriver(k: Kernel): DeviceDriver {
  return {
    name: RAMDISK_DRIVER,
    params: {
      rd_size: { type: 'int', default: 64 * 1024, min: 1, description: 'size of each RAM disk in KiB' },
      latency_ns: { type: 'int', default: DEFAULT_RAMDISK_MODEL.latencyNs, min: 0, description: 'fixed service time per read/write' },
      queues: { type: 'int', default: DEFAULT_RAMDISK_MODEL.queues, min: 1, description: 'operations served in parallel' },
    },
    probe(dev: Device): number {
      const r = dev.resources as Partial<RamdiskResources>;
      if (typeof r.irq !== 'number') {
        k.log.err(RAMDISK_DRIVER, `${dev.name}: no irq resource`);
        return ENODEV;
      }
      const model = checkModel({
        latencyNs: r.model?.latencyNs ?? k.drivers.paramInt('ramdisk.latency_ns'),
        perByteNs: r.model?.perByteNs ?? DEFAULT_RAMDISK_MODEL.perByteNs,
        queues: r.model?.queues ?? k.drivers.paramInt('ramdisk.queues'),
        metaLatencyNs: r.model?.metaLatencyNs,
      }, `ramdisk ${dev.name}`);
      const size = r.sizeBytes ?? k.drivers.paramInt('ramdisk.rd_size') * 1024;
      if (!Number.isSafeInteger(size) || size <= 0 || size % 512 !== 0) {
        k.log.err(RAMDISK_DRIVER, `${dev.name}: size ${size} is not a positive multiple of 512`);
        return EINVAL;
      }
      dev.driverData = attach(k, dev.name, r.irq, size, model, r);
      return 0;
    },
    remove(dev: Device): void {
      const inst = dev.driverData as RamdiskInstance | null;
      if (!inst) return;
      k.block.delDisk(inst.disk.name);
      k.irq.free((dev.resources as Partial<RamdiskResources>).irq ?? -1);
    },
  };
}

function attach(k: Kernel, name: string, irq: number, size: number, model: RamdiskModel, r: Partial<RamdiskResources>): RamdiskInstance {
  const pages = new RamPages();
  const device = new RamdiskDevice(k.engine, k.hw.irq, irq, model, pages);
  const ops: BlkMqOps = {
    queueRq(_h, rq) {
      device.submit(rq);
      return BLK_STS.OK;
    },
  };
  const disk = k.block.addDisk({
    name,
    capacitySectors: size / 512,
    ops,
    nrHwQueues: r.nrHwQueues ?? 1,
    queueDepth: r.queueDepth ?? 128,
    scheduler: r.scheduler ?? 'none',
    limits: { discard: true, writeZeroes: true, writeCache: r.writeCache ?? false, fua: false, logicalBlockSize: 512 },
  });
  const ring = device.ring;
  const gens = device.ringGen;
  k.irq.request(irq, name, () => {
    while (ring.length > 0) {
      const rq = ring.popFront()!;
      const gen = gens.popFront()!;
      if (rq.gen === gen) blkMqComplete(rq, 0);
    }
  });
  k.stats.gauge(`drivers/ramdisk/${name}/pages`, () => pages.count);
  k.stats.gauge(`drivers/ramdisk/${name}/served`, () => device.served);
  k.stats.gauge(`drivers/ramdisk/${name}/busy`, () => device.busy);
  return { disk, device, pages };
}

/**
 * Registers the driver (once per kernel) and adds a RAM disk device; returns its instance.
 * Throws naming the device when probe fails.
 */
export function createRamdisk(k: Kernel, name: string, res: RamdiskResources): RamdiskInstance {
  if (!k.drivers.hasDriver(RAMDISK_DRIVER)) k.drivers.registerDriver(ramdiskDriver(k));
  const dev = k.drivers.addDevice(name, RAMDISK_DRIVER, res as unknown as Record<string, unknown>);
  if (!dev.driverData) throw new Error(`ramdisk ${name}: probe failed (see the kernel log)`);
  return dev.driverData as RamdiskInstance;
}
