/**
 * Management commands at the current point of a run: the driver's own commands
 * (drivers/nbd/mgmt) over the client kernel's stats tree and the running device.
 */
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { NbdDevice } from '../../drivers/nbd/device.ts';
import { runMgmt } from '../../drivers/nbd/mgmt/index.ts';
import type { MgmtOutput } from './types.ts';

export function runMgmtCommand(device: NbdDevice, kernel: Kernel, argv: readonly string[]): MgmtOutput {
  return runMgmt({ device, stats: kernel.stats }, argv);
}
