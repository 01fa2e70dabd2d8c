/**
 * Driver model: drivers register by name, devices are added with a `compatible` string and
 * resources, and a driver is probed for every matching unbound device (either order). Module
 * parameters are typed, validated, settable by `driver.param` name, and visible in the stats
 * tree under `module/<driver>/parameters/<name>`.
 */
import type { StatsTree } from './stats.ts';
import type { KernelLog } from './klog.ts';

export type ParamValue = number | boolean | string;

export interface ParamSpec {
  type: 'int' | 'bool' | 'string';
  default: ParamValue;
  min?: number;
  max?: number;
  description?: string;
}

export interface Device {
  readonly name: string;
  /** Matched against a driver's name or its `compatible` list. */
  readonly compatible: string;
  /** IRQ line, device interface, platform data: whatever the driver needs to find its hardware. */
  readonly resources: Readonly<Record<string, unknown>>;
  driver: DeviceDriver | null;
  /** Driver-private state (dev_set_drvdata). */
  driverData: unknown;
}

export interface DeviceDriver {
  readonly name: string;
  readonly compatible?: readonly string[];
  readonly params?: Readonly<Record<string, ParamSpec>>;
  /** Binds the device; returns 0 or an errno (the device stays unbound). */
  probe(dev: Device): number;
  remove?(dev: Device): void;
}

export class DriverModel {
  private readonly drivers = new Map<string, DeviceDriver>();
  private readonly devices = new Map<string, Device>();
  private readonly params = new Map<string, ParamValue>();
  private readonly specs = new Map<string, ParamSpec>();

  constructor(private readonly stats: StatsTree, private readonly log: KernelLog) {}

  registerDriver(drv: DeviceDriver): void {
    if (this.drivers.has(drv.name)) throw new Error(`driver '${drv.name}' is already registered`);
    for (const [p, spec] of Object.entries(drv.params ?? {})) {
      const key = `${drv.name}.${p}`;
      this.specs.set(key, spec);
      const pre = this.params.get(key); // set before load, like a modprobe option
      this.params.set(key, validate(key, spec, pre ?? spec.default));
      this.stats.gauge(`module/${drv.name}/parameters/${p}`, () => toStat(this.params.get(key)!));
    }
    this.drivers.set(drv.name, drv);
    this.log.info('driver', `registered driver ${drv.name}`);
    for (const dev of this.devices.values()) if (!dev.driver && matches(drv, dev)) this.probe(drv, dev);
  }

  hasDriver(name: string): boolean {
    return this.drivers.has(name);
  }

  unregisterDriver(name: string): void {
    const drv = this.drivers.get(name);
    if (!drv) return;
    for (const dev of this.devices.values()) if (dev.driver === drv) this.unbind(dev);
    this.drivers.delete(name);
  }

  /** Adds a device and probes a matching driver. Returns the device (bound or not). */
  addDevice(name: string, compatible: string, resources: Record<string, unknown> = {}): Device {
    if (this.devices.has(name)) throw new Error(`device '${name}' already exists`);
    const dev: Device = { name, compatible, resources, driver: null, driverData: null };
    this.devices.set(name, dev);
    for (const drv of this.drivers.values()) {
      if (matches(drv, dev)) {
        this.probe(drv, dev);
        break;
      }
    }
    return dev;
  }

  removeDevice(name: string): void {
    const dev = this.devices.get(name);
    if (!dev) return;
    if (dev.driver) this.unbind(dev);
    this.devices.delete(name);
  }

  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  listDevices(): Device[] {
    return [...this.devices.values()];
  }

  /**
   * Sets `driver.param` (before or after the driver loads, like modprobe options and
   * /sys/module/<m>/parameters). Throws naming the parameter on a bad value.
   */
  setParam(key: string, value: ParamValue): void {
    const spec = this.specs.get(key);
    this.params.set(key, spec ? validate(key, spec, value) : value);
  }

  /** Current value of `driver.param`; throws when the driver declared no such parameter. */
  param(key: string): ParamValue {
    const v = this.params.get(key);
    if (v === undefined) throw new Error(`no module parameter '${key}'`);
    return v;
  }

  paramInt(key: string): number {
    const v = this.param(key);
    if (typeof v !== 'number') throw new Error(`module parameter '${key}' is not an int`);
    return v;
  }

  private probe(drv: DeviceDriver, dev: Device): void {
    dev.driver = drv;
    const err = drv.probe(dev);
    if (err !== 0) {
      dev.driver = null;
      dev.driverData = null;
      this.log.err(drv.name, `probe of ${dev.name} failed with error -${err}`);
      return;
    }
    this.log.info(drv.name, `bound ${dev.name}`);
  }

  private unbind(dev: Device): void {
    dev.driver?.remove?.(dev);
    dev.driver = null;
    dev.driverData = null;
  }
}

function matches(drv: DeviceDriver, dev: Device): boolean {
  return drv.name === dev.compatible || (drv.compatible?.includes(dev.compatible) ?? false);
}

function toStat(v: ParamValue): number | string {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

function validate(key: string, spec: ParamSpec, v: ParamValue): ParamValue {
  if (spec.type === 'int') {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`module parameter ${key}: want an integer, got ${String(v)}`);
    if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
      throw new RangeError(`module parameter ${key}: ${v} is outside [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`);
    }
    return v;
  }
  if (spec.type === 'bool') {
    if (typeof v !== 'boolean') throw new TypeError(`module parameter ${key}: want a boolean, got ${String(v)}`);
    return v;
  }
  if (typeof v !== 'string') throw new TypeError(`module parameter ${key}: want a string, got ${String(v)}`);
  return v;
}
