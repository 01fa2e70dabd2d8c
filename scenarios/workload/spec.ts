/**
 * fio-like job description and its validation. Sizes are bytes (numbers) or strings with a
 * binary suffix (`4k`, `1m`, `2g`); times are ns.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';

export const RW_MODES = ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw', 'trim', 'randtrim'] as const;
export type RwMode = (typeof RW_MODES)[number];

export interface JobSpec {
  name: string;
  rw: RwMode;
  /** Block size, bytes (multiple of 512). */
  bs: number | string;
  iodepth?: number;
  numjobs?: number;
  /** Bytes of the device this job covers, from `offset`. Default: to the end of the device. */
  size?: number | string;
  offset?: number | string;
  /** Percentage of reads in rw and randrw. Default 50. */
  rwmixread?: number;
  /** Stop issuing after this long. */
  runtimeNs?: Ns;
  /** I/Os (reads + writes) per job. Without this or runtimeNs a job makes one pass over `size`. */
  ios?: number;
  /** Issue a flush after every N writes (fio fsync=N). 0: never. */
  fsyncEvery?: number;
  /** Headers + CRC in every written 512-byte chunk, checked on every read. */
  verify?: boolean;
  /** Core the job submits from. Default: job index modulo the number of cores. */
  cpu?: number;
  /** Start only when every instance of the named job has finished (fio stonewall). */
  after?: string;
  /** Wait this long after the workload starts (or after `after` finished) before starting. */
  startDelayNs?: Ns;
  /**
   * Keep going after a failed I/O, reissuing from that slot after `errorBackoffNs` (default
   * 1 ms). Default false: like fio, an instance stops issuing at its first error.
   */
  continueOnError?: boolean;
  errorBackoffNs?: Ns;
  /** Largest I/O: each I/O draws its size from bs, 2·bs, … up to this (fio bsrange). Default bs. */
  bsMax?: number | string;
  /** Hot spot: `hotShare` percent of random I/Os fall in the first `hotSize` bytes of the range. */
  hotSize?: number | string;
  hotShare?: number;
  /** Percent of writes issued with REQ_FUA. Default 0. */
  fua?: number;
  /** Percent of writes issued as REQ_OP_WRITE_ZEROES (no data; reads then return zeros). Default 0. */
  writeZeroes?: number;
  /**
   * fio buffer_compress_percentage: each 512-byte chunk of written data is (100 − N) % random
   * bytes, then zeros. Default: the buffers as they are (zeros, or what a read left).
   */
  compressPercent?: number;
}

/** A job with every default applied and every size in bytes. */
export interface Job {
  readonly name: string;
  readonly rw: RwMode;
  readonly bs: number;
  readonly iodepth: number;
  readonly numjobs: number;
  readonly size: number;
  readonly offset: number;
  readonly rwmixread: number;
  readonly runtimeNs: Ns;
  readonly ios: number;
  readonly fsyncEvery: number;
  readonly verify: boolean;
  readonly cpu: number | undefined;
  readonly after: string | undefined;
  readonly startDelayNs: Ns;
  readonly continueOnError: boolean;
  readonly errorBackoffNs: Ns;
  readonly bsMax: number;
  readonly hotSize: number;
  readonly hotShare: number;
  readonly fua: number;
  readonly writeZeroes: number;
  /** Percent of each written chunk that is zeros after the random part; undefined: buffers untouched. */
  readonly compressPercent: number | undefined;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses `4096`, `'4k'`, `'1M'`, `'2g'` (binary units) into bytes. */
export function parseSize(v: number | string, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what}: want a non-negative integer of bytes, got ${v}`);
    return v;
  }
  const m = /^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(v);
  if (!m) throw new RangeError(`${what}: cannot read size '${v}' (examples: 4096, 4k, 1m)`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

function nonNegative(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

function percent(v: number, what: string): number {
  if (!(v >= 0 && v <= 100)) throw new RangeError(`${what} must be a percent in [0, 100], got ${v}`);
  return v;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what}: want a positive integer, got ${v}`);
  return v;
}

/** Applies defaults and checks a job against a device of `deviceBytes`. Errors name the job and key. */
/** Sequential modes walk their range in order; the others draw offsets at random. */
export function isSequential(rw: RwMode): boolean {
  return rw === 'read' || rw === 'write' || rw === 'rw' || rw === 'trim';
}

export function resolveJob(s: JobSpec, deviceBytes: number): Job {
  const w = `job '${s.name}'`;
  if (!RW_MODES.includes(s.rw)) throw new RangeError(`${w}: rw must be one of ${RW_MODES.join(', ')}, got '${String(s.rw)}'`);
  const bs = parseSize(s.bs, `${w}: bs`);
  if (bs === 0 || bs % 512 !== 0) throw new RangeError(`${w}: bs must be a positive multiple of 512, got ${bs}`);
  const offset = parseSize(s.offset ?? 0, `${w}: offset`);
  if (offset % 512 !== 0) throw new RangeError(`${w}: offset must be a multiple of 512, got ${offset}`);
  const size = s.size === undefined ? deviceBytes - offset : parseSize(s.size, `${w}: size`);
  if (size < bs) throw new RangeError(`${w}: size ${size} is smaller than bs ${bs}`);
  if (offset + size > deviceBytes) throw new RangeError(`${w}: offset + size = ${offset + size} is beyond the device (${deviceBytes} bytes)`);
  const rwmixread = s.rwmixread ?? 50;
  if (!(rwmixread >= 0 && rwmixread <= 100)) throw new RangeError(`${w}: rwmixread must be in [0, 100], got ${rwmixread}`);
  const runtimeNs = nonNegative(s.runtimeNs ?? 0, `${w}: runtimeNs`);
  const ios = s.ios ?? (runtimeNs > 0 ? 0 : Math.floor(size / bs));
  const fsyncEvery = nonNegative(s.fsyncEvery ?? 0, `${w}: fsyncEvery`);
  return {
    name: s.name, rw: s.rw, bs, offset, size: size - (size % bs), rwmixread, runtimeNs, ios, fsyncEvery,
    iodepth: positiveInt(s.iodepth ?? 1, `${w}: iodepth`),
    numjobs: positiveInt(s.numjobs ?? 1, `${w}: numjobs`),
    verify: s.verify ?? false,
    cpu: s.cpu,
    after: s.after,
    startDelayNs: nonNegative(s.startDelayNs ?? 0, `${w}: startDelayNs`),
    continueOnError: s.continueOnError ?? false,
    errorBackoffNs: s.errorBackoffNs ?? 1_000_000,
    fua: percent(s.fua ?? 0, `${w}: fua`),
    writeZeroes: percent(s.writeZeroes ?? 0, `${w}: writeZeroes`),
    compressPercent: s.compressPercent === undefined ? undefined : percent(s.compressPercent, `${w}: compressPercent`),
    ...sizeMix(s, w, bs, size),
  };
}

/** bs_max and the hot spot, checked against bs and the job's range. */
function sizeMix(s: JobSpec, w: string, bs: number, size: number): { bsMax: number; hotSize: number; hotShare: number } {
  const bsMax = s.bsMax === undefined ? bs : parseSize(s.bsMax, `${w}: bsMax`);
  if (bsMax < bs || bsMax % bs !== 0 || bsMax > size) throw new RangeError(`${w}: bsMax must be a multiple of bs (${bs}) within the job's size, got ${bsMax}`);
  const hotSize = s.hotSize === undefined ? 0 : parseSize(s.hotSize, `${w}: hotSize`);
  const hotShare = s.hotShare ?? 0;
  if (hotSize % bs !== 0 || hotSize > size || (hotShare > 0 && hotSize < bs)) throw new RangeError(`${w}: hotSize must be a multiple of bs within the job's size, got ${hotSize}`);
  if (!(hotShare >= 0 && hotShare <= 100)) throw new RangeError(`${w}: hotShare must be in [0, 100], got ${hotShare}`);
  return { bsMax, hotSize, hotShare };
}
