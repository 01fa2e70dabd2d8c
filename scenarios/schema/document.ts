import { z } from 'zod';
import { expectSchema } from './expect.ts';
import { timelineSchema } from './timeline.ts';
import { linkSchema, machineSchema, serverSchema, volumeSchema } from './topology.ts';
import { jobSchema } from './workload.ts';
import { swarmSchema } from './swarm.ts';

/**
 * A whole scenario file as written. `[nbd]` is validated separately by the driver's config
 * module (drivers/nbd/config), so it is passed through here untouched. Every key carries a
 * description (`.describe`): the JSON Schema for editors (json-schema.ts) is generated from here.
 */
export const scenarioDocumentSchema = z.strictObject({
  scenario: z.strictObject({
    name: z.string().min(1).describe('Name of the scenario, shown in summaries and reports.'),
    description: z.string().default('').describe('One line on what the scenario exercises.'),
    seeds: z.array(z.int().min(0).max(Number.MAX_SAFE_INTEGER)).min(1, 'needs at least one seed').default([1])
      .describe('Seeds `run` uses by default (the first) and `sweep` runs; each seed reproduces one run exactly.'),
  }).describe('What the scenario is and which seeds it runs.'),
  machine: machineSchema.default({
    cores: 4,
    nic: { rx_ring: 1024, tx_ring: 1024, rate: undefined },
    irq_coalescing: { delay: 0, frames: 1 },
    io_scheduler: 'none',
    plug: false,
    cpu_cost_scale: 1,
    tcp: { autocorking: true },
  }),
  volume: z.array(volumeSchema).default([]).describe('Shared volumes: dual-ported disks in their own power domain, exported by several servers.'),
  server: z.array(serverSchema).default([])
    .describe('NBD server hosts, each with its own kernel and virtual disk. None: no network and no NBD device; jobs then run on RAM disks (device = "ramN").'),
  link: z.array(linkSchema).default([]).describe('Links between hosts. None: every server gets a default 25 Gbit/s, 20 us link to the client.'),
  nbd: z.record(z.string(), z.unknown()).optional().describe('The NBD driver configuration (drivers/nbd/config).'),
  job: z.array(jobSchema).default([]).describe('fio-like workloads on the client\'s block devices.'),
  at: z.array(timelineSchema).default([]).describe('The timeline: faults and management commands at given virtual times.'),
  swarm: swarmSchema.optional(),
  expect: expectSchema.default({ safety: true, latency: {}, no_errors: false, jobs_complete: true, clean_transport: false, crash_loss: false, corrupted_reads: false }),
});

export type ScenarioDocument = z.output<typeof scenarioDocumentSchema>;
