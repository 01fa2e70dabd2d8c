/**
 * Management commands at the current point of a run: the driver's own commands
 * (drivers/nbd/mgmt) over the client kernel's stats tree and the running device.
 */
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { NbdDevice } from '../../drivers/nbd/device.ts';
import { runMgmt } from '../../drivers/nbd/mgmt/index.ts';
import type { MgmtOutput } from './types.ts';
import { splitDevice } from '../schema/devices.ts';

export function runMgmtCommand(device: NbdDevice, kernel: Kernel, argv: readonly string[]): MgmtOutput {
  return runMgmt({ device, stats: kernel.stats }, argv);
}

/**
 * A command line for one of several devices: a leading device name (`nbd1 nbd-server-info`)
 * picks it, else the first device.
 */
export function runDeviceMgmt(nbds: ReadonlyMap<string, { readonly device: NbdDevice }>, kernel: Kernel, argv: readonly string[]): MgmtOutput {
  const { device, argv: rest } = splitDevice(argv);
  const first = nbds.values().next().value;
  if (!first) throw new Error('no NBD device in this scenario (it has no [[server]])');
  const target = device === undefined ? first : nbds.get(device);
  if (!target) throw new Error(`no NBD device '${device}' (devices: ${[...nbds.keys()].join(', ')})`);
  return runMgmtCommand(target.device, kernel, rest);
}
