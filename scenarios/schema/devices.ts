/**
 * Several NBD devices per scenario: each `[nbd] exports` entry (or, without the list, each
 * distinct export the servers name) is one device nbdN with the servers that attach it. A
 * management command line may start with the device it is for (`nbd1 nbd-server-info`);
 * without one it goes to the first device.
 */
import { deviceOfServer } from '../../drivers/nbd/config/backend.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';

export interface NbdDeviceGroup {
  /** nbdN. */
  readonly device: string;
  /** The device's config: the scenario's [nbd] with only its own servers. */
  readonly config: NbdConfig;
}

/** The devices the [nbd] section makes, in export order; an export no server attaches makes none. */
export function nbdDeviceGroups(nbd: NbdConfig): NbdDeviceGroup[] {
  const out = new Map<string, NbdConfig['servers'][number][]>();
  for (const s of nbd.servers) {
    const dev = deviceOfServer(s, nbd.servers, nbd.exports);
    const list = out.get(dev) ?? [];
    list.push(s);
    out.set(dev, list);
  }
  return [...out].map(([device, servers]) => ({ device, config: { ...nbd, servers } }));
}

const DEVICE = /^nbd[0-9]+$/;

/** Splits an optional leading device name off a management command line. */
export function splitDevice(argv: readonly string[]): { device: string | undefined; argv: readonly string[] } {
  return argv.length > 1 && DEVICE.test(argv[0]!) ? { device: argv[0], argv: argv.slice(1) } : { device: undefined, argv };
}
