/**
 * `[swarm]`: bounds for what `--swarm` draws from the seed. Every key is optional; an absent key
 * keeps the built-in range (scenarios/runner/swarm.ts, swarm-shape.ts). A range is [low, high].
 * Without --swarm the table is validated and shown by `validate`, and nothing is drawn.
 */
import { z } from 'zod';
import { fraction, rate } from '../../drivers/nbd/config/fields.ts';
import type { SwarmBounds } from './types.ts';

const range = (v: z.ZodType<number>, what: string) =>
  z.tuple([v, v]).refine((t) => t[0] <= t[1], { message: `${what}: [low, high] with low <= high` });

export const SWARM_FAULT_KINDS = ['partition', 'slow', 'hang', 'malformed', 'disk-error'] as const;
export const SWARM_DISKS = ['ram', 'nvme', 'ssd', 'hdd'] as const;

export const swarmSchema = z.strictObject({
  loss: range(fraction(), 'loss').optional().describe('Range of the loss rate drawn for each server link (default [0, 0.02]).'),
  duplicate: range(fraction(), 'duplicate').optional().describe('Range of the duplicate rate drawn for each server link (default [0, 0.02]).'),
  reorder: range(fraction(), 'reorder').optional().describe('Range of the reorder rate drawn for each server link (default [0, 0.03]).'),
  keep: fraction().optional().describe('Chance that each [[at]] fault of the file happens (default 0.6).'),
  faults: range(z.int().min(0).max(8), 'faults').optional().describe('How many faults the seed adds to the timeline (default [0, 2]).'),
  fault_kinds: z.array(z.enum(SWARM_FAULT_KINDS)).min(1).optional()
    .describe('Kinds of added faults (default: partition, slow, hang, malformed; disk-error only when listed here, as it fails I/Os).'),
  disk_errors: z.array(z.enum(['EIO', 'ENOSPC'])).min(1).optional().describe('Errors a drawn disk-error fault uses (default EIO and ENOSPC).'),
  connection_pool_size: range(z.int().min(1).max(64), 'connection_pool_size').optional()
    .describe('Range of the driver\'s connection pool size (default [1, max(4, the file\'s)]).'),
  iodepth: range(z.int().min(1).max(1024), 'iodepth').optional().describe('Range of each job\'s queue depth (default [1, the job\'s]).'),
  rates: z.array(rate()).min(1).optional().describe('Link rates to draw from, never above the file\'s (default 1, 10, 25 Gbit/s).'),
  disks: z.array(z.enum(SWARM_DISKS)).min(1).optional().describe('Server disk presets to draw from (default ram, nvme, ssd, hdd).'),
}).describe('Bounds of what `--swarm` draws from the seed: fault mix, link rates, pool size, queue depths, disks.');

export type SwarmDocument = z.output<typeof swarmSchema>;

export function normaliseSwarm(d: SwarmDocument | undefined): SwarmBounds | undefined {
  if (d === undefined) return undefined;
  return {
    ...(d.loss ? { loss: d.loss } : {}), ...(d.duplicate ? { duplicate: d.duplicate } : {}), ...(d.reorder ? { reorder: d.reorder } : {}),
    ...(d.keep !== undefined ? { keep: d.keep } : {}), ...(d.faults ? { faults: d.faults } : {}),
    ...(d.fault_kinds ? { faultKinds: d.fault_kinds } : {}), ...(d.disk_errors ? { diskErrors: d.disk_errors } : {}),
    ...(d.connection_pool_size ? { poolSize: d.connection_pool_size } : {}), ...(d.iodepth ? { iodepth: d.iodepth } : {}),
    ...(d.rates ? { ratesBps: d.rates } : {}), ...(d.disks ? { disks: d.disks } : {}),
  };
}
