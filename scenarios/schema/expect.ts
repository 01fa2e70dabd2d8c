import { z } from 'zod';
import { duration, rate, size } from '../../drivers/nbd/config/fields.ts';

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

const deviceState = z.enum(['ready', 'failed']);

/**
 * `device = "failed"` (or `{ state = "failed", reason = "wrong PSK" }`): the run is an expected
 * failure — it passes only if the device ends failed, with `reason` in its failure reason.
 */
const deviceSchema = z.union([
  deviceState,
  z.strictObject({ state: deviceState, reason: z.string().min(1).optional() }).refine((d) => d.reason === undefined || d.state === 'failed', {
    message: 'reason only applies to state = "failed"', path: ['reason'],
  }),
]);

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
  /**
   * Bytes that must cross the client's NIC (IPv4 bytes, headers included, from its counters):
   * `rx` into the client, `tx` out of it. Proves a throughput figure moved real data.
   */
  wire_bytes: z.strictObject({ rx: size({ min: 1 }).optional(), tx: size({ min: 1 }).optional() })
    .refine((w) => w.rx !== undefined || w.tx !== undefined, { message: 'give rx, tx or both' }).optional(),
  /** No request fails (errno) during the run. */
  no_errors: z.boolean().default(false),
  /**
   * Every job completes its I/Os: false when the scenario expects a job to stop early (at its
   * first error without continue_on_error); true (default): an incomplete job fails the run.
   */
  jobs_complete: z.boolean().default(true),
  /** How the NBD device ends: "ready" (default) or an expected failure. */
  device: deviceSchema.optional(),
});
