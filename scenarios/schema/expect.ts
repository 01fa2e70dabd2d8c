import { z } from 'zod';
import { duration, rate } from '../../drivers/nbd/config/fields.ts';

const percentiles = z.strictObject({
  p50: duration().optional(),
  p90: duration().optional(),
  p99: duration().optional(),
  'p99.9': duration().optional(),
  p999: duration().optional(),
  max: duration().optional(),
});

const perJob = <T extends z.ZodType>(value: T) =>
  z.union([value, z.strictObject({ min: value, job: z.string().optional() })]);

/** `[expect]`: what must hold for the run to pass. */
export const expectSchema = z.strictObject({
  /** Zero safety violations (reads return acknowledged data; flushed data survives a crash). */
  safety: z.boolean().default(true),
  /** Every request completes within this long after the last fault heals. */
  liveness: duration().optional(),
  /** After each fault heals, I/O completes again within this long. */
  recovery: duration().optional(),
  iops: perJob(z.number().positive()).optional(),
  bandwidth: perJob(rate()).optional(),
  latency: z
    .strictObject({
      read: percentiles.optional(),
      write: percentiles.optional(),
      flush: percentiles.optional(),
      trim: percentiles.optional(),
    })
    .default({}),
  /** No request fails (errno) during the run. */
  no_errors: z.boolean().default(false),
});
