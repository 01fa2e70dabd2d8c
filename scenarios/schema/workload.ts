import { z } from 'zod';
import { duration, int, size } from '../../drivers/nbd/config/fields.ts';

export const RW_MODES = ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw', 'trim', 'randtrim'] as const;

/** A RAM disk on the client (drivers/ramdisk): at least this big, larger when a job reaches further. */
export const RAMDISK_MIN_BYTES = 64 * 2 ** 20;

/** `ram0`, `ram1`, …: a client RAM disk instead of an NBD device (the block layer without the network). */
export function isRamDevice(device: string): boolean {
  return /^ram[0-9]+$/.test(device);
}

/** Capacity of RAM disk `device`: RAMDISK_MIN_BYTES, or the furthest end of a job on it. */
export function ramDiskBytes(jobs: readonly { device: string; offset: number; size?: number | undefined }[], device: string): number {
  let end = RAMDISK_MIN_BYTES;
  for (const j of jobs) if (j.device === device) end = Math.max(end, j.offset + (j.size ?? 0));
  return end;
}

/** true (every one), false (none) or a percent (0..100), as a percent. */
function share() {
  return z.union([z.boolean(), int(0, 100)]).default(false).transform((v) => (v === true ? 100 : v === false ? 0 : v));
}

/** `[[job]]`: a fio-like workload on one NBD device of the client. */
export const jobSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name of the job in summaries and reports.'),
    device: z.string().regex(/^(nbd|ram)[0-9]+$/, 'must be nbdN or ramN').default('nbd0')
      .describe('Block device: nbdN (an NBD device, in the order of [nbd] exports) or ramN (a RAM disk on the client).'),
    rw: z.enum(RW_MODES).describe('I/O pattern, as fio\'s rw: sequential or random reads, writes, mixes or trims.'),
    bs: size({ min: 512, max: 32 * 2 ** 20, multipleOf: 512 }).default(4096).describe('Block size of each I/O.'),
    iodepth: int(1, 4096).default(1).describe('I/Os each job keeps in flight.'),
    numjobs: int(1, 256).default(1).describe('Copies of the job running side by side.'),
    size: size({ min: 512, multipleOf: 512 }).optional().describe('Bytes of the device the job covers; default: the export from `offset` to its end.'),
    offset: size({ multipleOf: 512 }).default(0).describe('Where on the device the job\'s range starts.'),
    runtime: duration(undefined, { min: 1 }).optional().describe('Stop after this much virtual time ...'),
    ios: int(1, Number.MAX_SAFE_INTEGER).optional().describe('... or after this many I/Os per job (one pass over `size` when neither is given).'),
    rwmixread: int(0, 100).default(50).describe('Percentage of reads in rw and randrw (0..100).'),
    fsync: int(0, 1_000_000).default(0).describe('Issue a FLUSH after every N writes (0 = never).'),
    fua: share().describe('FUA on this job\'s writes (REQ_FUA, NBD_CMD_FLAG_FUA on the wire): true (every write), false, or the percent of writes issued with FUA.'),
    write_zeroes: share()
      .describe('WRITE_ZEROES among this job\'s writes (REQ_OP_WRITE_ZEROES, NBD_CMD_WRITE_ZEROES on the wire): true (every write), false, or the percent of writes issued as zeroes; reads after one must return zeros.'),
    verify: z.boolean().default(false).describe('Write a content id per block and check every read against the writes (verify mode).'),
    buffer_compress_percentage: int(0, 100).optional()
      .describe('As fio: the data the job writes compresses to about this percent smaller; each 512-byte chunk holds (100 - N) % random bytes, then zeros. Default: buffers as they are (zeros). Not with verify (verify writes its own content).'),
    start: duration().default(0).describe('Virtual time before the job starts (a job on an NBD device also waits for the device).'),
    continue_on_error: z.boolean().default(false)
      .describe('As fio: keep issuing after a failed I/O (the slot waits 1 ms, then issues its next I/O); false: an instance stops at its first error.'),
    bs_max: size({ min: 512, max: 32 * 2 ** 20, multipleOf: 512 }).optional()
      .describe('Largest I/O: each I/O draws its size from bs, 2·bs, … up to bs_max (as fio bsrange); default bs.'),
    hot_spot: z.strictObject({
      size: size({ min: 512, multipleOf: 512 }).describe('Bytes at the start of the job\'s range that are hot.'),
      share: int(1, 100).describe('Percent of the random I/Os that fall in the hot spot.'),
    }).optional()
      .describe('A small region read while it is being written, so an early acknowledgement becomes visible (random modes only).'),
  })
  .superRefine((j, ctx) => {
    if (j.size !== undefined && j.bs > j.size) ctx.addIssue({ code: 'custom', path: ['bs'], message: `block size ${j.bs} exceeds size ${j.size}` });
    if (j.bs_max !== undefined && (j.bs_max < j.bs || j.bs_max % j.bs !== 0 || (j.size !== undefined && j.bs_max > j.size))) {
      ctx.addIssue({ code: 'custom', path: ['bs_max'], message: `must be a multiple of bs (${j.bs}) and fit the job's size, got ${j.bs_max}` });
    }
    if (j.hot_spot && (j.hot_spot.size % j.bs !== 0 || (j.size !== undefined && j.hot_spot.size > j.size))) {
      ctx.addIssue({ code: 'custom', path: ['hot_spot', 'size'], message: `must be a multiple of bs (${j.bs}) within the job's size, got ${j.hot_spot.size}` });
    }
    if (j.buffer_compress_percentage !== undefined && j.verify) {
      ctx.addIssue({ code: 'custom', path: ['buffer_compress_percentage'], message: 'not with verify = true (verify writes its own content)' });
    }
    if (j.buffer_compress_percentage !== undefined && !j.rw.includes('write') && !j.rw.endsWith('rw')) {
      ctx.addIssue({ code: 'custom', path: ['buffer_compress_percentage'], message: `only applies to modes that write, not ${j.rw}` });
    }
    if (j.hot_spot && !j.rw.startsWith('rand')) ctx.addIssue({ code: 'custom', path: ['hot_spot'], message: `only applies to random modes, not ${j.rw}` });
    if (j.write_zeroes > 0 && !j.rw.includes('write') && !j.rw.endsWith('rw')) {
      ctx.addIssue({ code: 'custom', path: ['write_zeroes'], message: `only applies to modes that write, not ${j.rw}` });
    }
    if (j.fua > 0 && !j.rw.includes('write') && !j.rw.endsWith('rw')) ctx.addIssue({ code: 'custom', path: ['fua'], message: `only applies to modes that write, not ${j.rw}` });
    if (j.rwmixread !== 50 && j.rw !== 'rw' && j.rw !== 'randrw') {
      ctx.addIssue({ code: 'custom', path: ['rwmixread'], message: `only applies to rw and randrw, not ${j.rw}` });
    }
  });
