/**
 * Swarm, part two: the seed also draws the shape of the system under test, before it is built,
 * from its own stream `runner/swarm-shape` (so the fault draws of swarm.ts keep their numbers):
 * the driver's connection pool size (1 .. max(4, the file's)), each job's queue depth (1 .. the
 * file's), each server link's rate (1, 10 or 25 Gbit/s, never above the file's) and each
 * server's disk preset (ram, nvme, ssd, hdd); then the workload's shape: plugging (so
 * contiguous bios merge), and per job I/O sizes up to 128 KiB (multi-chunk replies with holes),
 * a hot spot, shares of FUA writes and WRITE_ZEROES, and for a sequential writer, trims instead.
 * The draw is stated in file terms for swarm.draw.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Rng } from '../../hw-sim/engine/rng.ts';
import type { JobSpec, Scenario } from '../schema/types.ts';
import { DISK_PRESETS, type DiskPresetName as DiskName, type ServiceTimeModel } from '../../hw-sim/disk/presets.ts';
import { CACHE_TAGS } from '../../drivers/nbd/cache/costs.ts';

export interface SwarmShape {
  readonly nbd: Record<string, unknown>;
  /** [machine] keys drawn (plug). */
  readonly machine: Record<string, unknown>;
  readonly jobs: Record<string, Record<string, unknown>>;
  readonly disks: Record<string, string>;
  /** Server host → link rate as written in a file ("10Gbit"). */
  readonly rates: Record<string, string>;
}

const RATES = [1e9, 10e9, 25e9] as const;
const DISKS = ['ram', 'nvme', 'ssd', 'hdd'] as const;
/** Largest drawn I/O, and the multiples of bs drawn for bs_max. */
const MAX_IO = 128 * 1024;
const BS_MAX_FACTORS = [1, 4, 16, 32] as const;
const FUA_SHARES = [0, 0, 25, 100] as const;
const ZERO_SHARES = [0, 0, 15] as const;
const HOT_SHARE = 30;

export function drawShape(s: Scenario, engine: Engine): { scenario: Scenario; shape: SwarmShape } {
  const rng = engine.rng.get('runner/swarm-shape');
  const b = s.swarm ?? {};
  const [poolLo, poolHi] = b.poolSize ?? [1, Math.max(4, s.nbd.connectionPoolSize)];
  const pool = poolLo + rng.int(poolHi - poolLo + 1);
  const jobs: SwarmShape['jobs'] = {};
  let jobSpecs = s.jobs.map((j) => {
    const [lo, hi] = b.iodepth ?? [1, j.iodepth];
    const iodepth = lo + rng.int(hi - lo + 1);
    jobs[j.name] = { iodepth };
    return { ...j, iodepth };
  });
  const rates: SwarmShape['rates'] = {};
  const links = s.links.map((l) => {
    const allowed = (b.ratesBps ?? RATES).filter((r) => r <= l.rateBps);
    if (allowed.length === 0) return l;
    const rateBps = allowed[rng.int(allowed.length)]!;
    const server = l.between[0] === 'client' ? l.between[1] : l.between[0];
    rates[server] = `${rateBps / 1e9}Gbit`;
    return { ...l, rateBps };
  });
  const disks: SwarmShape['disks'] = {};
  const inFlight = jobSpecs.reduce((n, j) => n + j.iodepth, 0) + (s.nbd.writeBackCache || s.nbd.localCacheBytes > 0 ? CACHE_TAGS : 0);
  const servers = s.servers.map((sv) => {
    const presets = b.disks ?? DISKS;
    const disk = fitting(presets, presets[rng.int(presets.length)]!, inFlight, s.nbd.deadConnTimeoutNs);
    disks[sv.name] = disk;
    return { ...sv, disk };
  });
  // Drawn after the older draws, so those keep their numbers for every seed.
  const plug = rng.chance(0.5);
  jobSpecs = jobSpecs.map((j) => drawJob(j, rng, jobs[j.name]!));
  const scenario: Scenario = {
    ...s, machine: { ...s.machine, plug }, nbd: { ...s.nbd, connectionPoolSize: pool }, jobs: jobSpecs, links, servers,
  };
  return { scenario, shape: { nbd: { connection_pool_size: pool }, machine: { plug }, jobs, disks, rates } };
}

/**
 * The slowest reply a connection can wait for on this disk: every request in flight queued ahead
 * (each an op latency plus a flush, for FUA, per disk slot; all their bytes over the channel).
 */
export function worstReplyNs(model: ServiceTimeModel, inFlight: number): number {
  const op = Math.max(model.latencyNs.read, model.latencyNs.write) + model.latencyNs.flush;
  return Math.ceil(inFlight / model.queueDepth) * op + Math.ceil((inFlight * MAX_IO * 1e9) / model.bandwidth);
}

/**
 * The drawn disk, or the slowest preset whose worst reply stays within dead_conn_timeout: the
 * silence watchdog would take a busy slow disk for a dead connection and every reconnect piles
 * the resent requests on the disk's queue (an HDD under a 20 ms timeout never recovered:
 * cache-wb-link-flap --swarm seed 1). The draw is kept, so the later draws keep their numbers.
 */
function fitting(presets: readonly DiskName[], drawn: DiskName, inFlight: number, deadConnNs: number): DiskName {
  const fits = (d: DiskName): boolean => worstReplyNs(DISK_PRESETS[d], inFlight) < deadConnNs;
  if (fits(drawn)) return drawn;
  const ok = DISKS.filter((d) => presets.includes(d) && fits(d));
  return ok.length > 0 ? ok[ok.length - 1]! : drawn;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/** The workload keys of one job; `file` gets them in file terms. Jobs on RAM disks keep their shape. */
function drawJob(j: JobSpec, rng: Rng, file: Record<string, unknown>): JobSpec {
  if (j.device.startsWith('ram')) return j;
  const random = j.rw.startsWith('rand');
  const writes = j.rw.includes('write') || j.rw.endsWith('rw');
  let out: JobSpec = j;
  if (random) {
    const factors = BS_MAX_FACTORS.filter((f) => j.bsBytes * f <= Math.min(MAX_IO, j.sizeBytes));
    const f = pick(rng, factors);
    const bsMax = j.bsBytes * f;
    const hot = rng.chance(0.5) && 4 * j.bsBytes <= j.sizeBytes;
    // Sizes average (1 + f) / 2 blocks: fewer I/Os keep the bytes moved (and the sweep's time) within ~2x.
    const ios = j.ios === undefined || f === 1 ? j.ios : Math.max(1, Math.ceil((j.ios * 4) / (3 + f)));
    out = { ...out, bsMaxBytes: bsMax, hotSpot: hot ? { sizeBytes: 4 * j.bsBytes, share: HOT_SHARE } : undefined, ios };
    file['bs_max'] = bsMax;
    if (ios !== j.ios) file['ios'] = ios;
    if (hot) file['hot_spot'] = { size: 4 * j.bsBytes, share: HOT_SHARE };
  } else if (j.rw === 'write' && rng.chance(0.3)) {
    // A sequential writer trims its range instead (trims on the wire, reads of trimmed blocks unchecked).
    file['rw'] = 'trim';
    return { ...out, rw: 'trim' };
  }
  if (writes) {
    const fua = pick(rng, FUA_SHARES);
    const zeroes = pick(rng, ZERO_SHARES);
    out = { ...out, fuaPercent: fua, writeZeroesPercent: zeroes };
    file['fua'] = fua;
    file['write_zeroes'] = zeroes;
  }
  return out;
}
