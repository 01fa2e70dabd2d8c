import { z } from 'zod';
import { duration, int, rate, size } from '../../drivers/nbd/config/fields.ts';

const percentiles = z.strictObject({
  p50: duration().optional().describe('Median latency must not exceed this.'),
  p90: duration().optional().describe('90th percentile latency must not exceed this.'),
  p99: duration().optional().describe('99th percentile latency must not exceed this.'),
  'p99.9': duration().optional().describe('99.9th percentile latency must not exceed this.'),
  p999: duration().optional().describe('99.9th percentile latency must not exceed this (same as "p99.9").'),
  max: duration().optional().describe('No request may take longer than this.'),
});

const perJob = <T extends z.ZodType>(value: T) =>
  z.union([value, z.strictObject({ min: value.describe('The least acceptable value.'), job: z.string().optional().describe('Only this job (default: all jobs together).') })]);

const deviceState = z.enum(['ready', 'failed']);

/**
 * `device = "failed"` (or `{ state = "failed", reason = "wrong PSK" }`): the run is an expected
 * failure — it passes only if every NBD device ends failed, with `reason` in its failure reason.
 * `name` narrows it to one device; an array states several devices' ends.
 */
const deviceEntry = z.strictObject({
  name: z.string().min(1).optional().describe('The NBD device this applies to (nbd0, nbd1, …); absent: every NBD device.'),
  state: deviceState.describe('How the NBD device must end.'),
  reason: z.string().min(1).optional().describe('A case-insensitive substring of the driver\'s failure reason.'),
}).refine((d) => d.reason === undefined || d.state === 'failed', {
  message: 'reason only applies to state = "failed"', path: ['reason'],
});
const deviceSchema = z.union([deviceState, deviceEntry, z.array(deviceEntry).min(1)]);

/** `[expect]`: what must hold for the run to pass. */
export const expectSchema = z.strictObject({
  safety: z.boolean().default(true).describe('Zero safety violations: reads return acknowledged data; flushed data survives a crash.'),
  liveness: duration().optional().describe('Every request completes within this long after the last fault heals.'),
  recovery: duration().optional().describe('After each fault heals, I/O completes again within this long.'),
  iops: perJob(z.number().positive()).optional().describe('Least I/O operations per virtual second (reads, writes and trims; flushes do not count), or { min, job }.'),
  iops_max: z.number().positive().optional().describe('Most I/O operations per virtual second of all jobs together: a ceiling the run must stay under (a CPU-bound client cannot go faster).'),
  bandwidth: perJob(rate()).optional().describe('Least throughput of data moved, or { min, job }.'),
  latency: z
    .strictObject({
      read: percentiles.optional().describe('Read latency percentiles, measured at the block device.'),
      write: percentiles.optional().describe('Write latency percentiles, measured at the block device.'),
      flush: percentiles.optional().describe('Flush latency percentiles, measured at the block device.'),
      trim: percentiles.optional().describe('Trim latency percentiles, measured at the block device.'),
    })
    .default({})
    .describe('Latency limits per operation.'),
  network_latency: percentiles.optional()
    .describe('Limits on the network stage alone: per packet, from its first bit leaving a host NIC to its last bit reaching the other host NIC (cables, switch and queueing), both directions.'),
  submission_latency: percentiles.optional()
    .describe('Limits on the submission stage alone: per request, from the NBD driver\'s queue_rq to the first byte of its request header leaving the client NIC onto the wire (driver, socket, TCP, NIC queue and DMA). First sends only; TLS connections are not measured.'),
  wire_bytes: z.strictObject({
    rx: size({ min: 1 }).optional().describe('Least bytes into the client.'),
    tx: size({ min: 1 }).optional().describe('Least bytes out of the client.'),
  })
    .refine((w) => w.rx !== undefined || w.tx !== undefined, { message: 'give rx, tx or both' }).optional()
    .describe('Bytes that must cross the client\'s NIC (IPv4 bytes, headers included, from its counters); proves a throughput figure moved real data.'),
  failover: duration().optional().describe('A failover is measured (first failed request to I/O flowing again, per NBD device) and the longest takes at most this long.'),
  backup_standby: duration().optional()
    .describe('Backup servers (role = "backup") carry I/O only while every primary is down: counted on the backups\' wire, none before the primaries\' first common outage nor later than this long after one ends (time to dial the primary again), some during one.'),
  no_errors: z.boolean().default(false).describe('No request fails (errno) during the run.'),
  jobs_complete: z.boolean().default(true)
    .describe('Every job completes its I/Os; false when a job is expected to stop early (at its first error without continue_on_error).'),
  cache: z.strictObject({
    hit_ratio: z.number().min(0).max(1).optional().describe('Least fraction of reads served from the client cache (0..1).'),
    read_ahead_hits: z.number().int().min(1).optional().describe('Least reads served from data read ahead.'),
    hit_latency: percentiles.optional().describe('Latency of reads served from the cache (queue to completion, CPU cost included).'),
    device: z.string().min(1).optional().describe('Only this NBD device\'s cache (nbd0, nbd1, …); absent: every NBD device\'s cache must meet it.'),
  }).optional().describe('The client cache (local_cache_size) of every NBD device, or of `device`: hit ratio, read-ahead hits, cache hit latency.'),
  clean_transport: z.boolean().default(false)
    .describe('No protocol error (client or server side), transport error, request timeout or reconnect: for faults that only slow things down (a slow server, jitter).'),
  corrupted_reads: z.boolean().default(false)
    .describe('The run must hand corrupted data to the workload: the safety checker reports reads of content no write put there. For faults that get past every check (hardware faults below TCP with checksums off); needs safety = false.'),
  cpu_busy: z.number().min(0).max(1).optional()
    .describe('A CPU-bound client: its busiest core was busy (CPU cost of the I/O path: interrupts, softirq, NIC driver, block layer) at least this fraction of the run (0..1).'),
  crash_loss: z.boolean().default(false)
    .describe('A server crash must really drop some acknowledged, unflushed write, seen by a read after it (the crash model is exercised).'),
  wire_commands: z.strictObject({
    merged: z.literal(true).optional()
      .describe('Adjacent bios merged in the block layer: the servers received fewer NBD commands than bios were submitted to the client\'s NBD devices.'),
    fua: int(1, Number.MAX_SAFE_INTEGER).optional().describe('Least NBD_CMD_WRITE commands carrying NBD_CMD_FLAG_FUA the servers received.'),
    write_zeroes: int(1, Number.MAX_SAFE_INTEGER).optional().describe('Least NBD_CMD_WRITE_ZEROES commands the servers received.'),
  }).refine((w) => w.merged !== undefined || w.fua !== undefined || w.write_zeroes !== undefined, { message: 'give merged, fua or write_zeroes' }).optional()
    .describe('Commands the servers received on the wire (counted by the server, trace or not): proves merging, FUA and WRITE_ZEROES really reached the wire.'),
  mirror_in_sync: z.boolean().optional()
    .describe('Mirror devices: at the end every replica is back in sync and the replicas hold the same bytes over the whole export (read from each replica\'s disk).'),
  device: deviceSchema.optional()
    .describe('How the NBD devices end: "ready" (default: a failed device fails the run) or an expected failure ("failed" or { state, reason }), for every device or, with name, one; an array of { name, state, reason } states several.'),
}).describe('What must hold for the run to pass.');
