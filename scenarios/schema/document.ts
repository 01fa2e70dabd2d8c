import { z } from 'zod';
import { expectSchema } from './expect.ts';
import { timelineSchema } from './timeline.ts';
import { linkSchema, machineSchema, serverSchema } from './topology.ts';
import { jobSchema } from './workload.ts';

/**
 * A whole scenario file as written. `[nbd]` is validated separately by the driver's config
 * module (drivers/nbd/config), so it is passed through here untouched.
 */
export const scenarioDocumentSchema = z.strictObject({
  scenario: z.strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    seeds: z.array(z.int().min(0).max(Number.MAX_SAFE_INTEGER)).min(1, 'needs at least one seed').default([1]),
  }),
  machine: machineSchema.default({
    cores: 4,
    nic: { rx_ring: 1024, tx_ring: 1024, rate: undefined },
    irq_coalescing: { delay: 0, frames: 1 },
  }),
  /** None: no network and no NBD device; jobs then run on RAM disks (device = "ramN"). */
  server: z.array(serverSchema).default([]),
  link: z.array(linkSchema).default([]),
  nbd: z.record(z.string(), z.unknown()).optional(),
  job: z.array(jobSchema).default([]),
  at: z.array(timelineSchema).default([]),
  expect: expectSchema.default({ safety: true, latency: {}, no_errors: false, jobs_complete: true }),
});

export type ScenarioDocument = z.output<typeof scenarioDocumentSchema>;
