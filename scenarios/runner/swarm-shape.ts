/**
 * Swarm, part two: the seed also draws the shape of the system under test, before it is built,
 * from its own stream `runner/swarm-shape` (so the fault draws of swarm.ts keep their numbers):
 * the driver's connection pool size (1 .. max(4, the file's)), each job's queue depth (1 .. the
 * file's), each server link's rate (1, 10 or 25 Gbit/s, never above the file's) and each
 * server's disk preset (ram, nvme, ssd, hdd). The draw is stated in file terms for swarm.draw.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Scenario } from '../schema/types.ts';

export interface SwarmShape {
  readonly nbd: Record<string, unknown>;
  readonly jobs: Record<string, Record<string, unknown>>;
  readonly disks: Record<string, string>;
  /** Server host → link rate as written in a file ("10Gbit"). */
  readonly rates: Record<string, string>;
}

const RATES = [1e9, 10e9, 25e9] as const;
const DISKS = ['ram', 'nvme', 'ssd', 'hdd'] as const;

export function drawShape(s: Scenario, engine: Engine): { scenario: Scenario; shape: SwarmShape } {
  const rng = engine.rng.get('runner/swarm-shape');
  const pool = 1 + rng.int(Math.max(4, s.nbd.connectionPoolSize));
  const jobs: SwarmShape['jobs'] = {};
  const jobSpecs = s.jobs.map((j) => {
    const iodepth = 1 + rng.int(j.iodepth);
    jobs[j.name] = { iodepth };
    return { ...j, iodepth };
  });
  const rates: SwarmShape['rates'] = {};
  const links = s.links.map((l) => {
    const allowed = RATES.filter((r) => r <= l.rateBps);
    if (allowed.length === 0) return l;
    const rateBps = allowed[rng.int(allowed.length)]!;
    const server = l.between[0] === 'client' ? l.between[1] : l.between[0];
    rates[server] = `${rateBps / 1e9}Gbit`;
    return { ...l, rateBps };
  });
  const disks: SwarmShape['disks'] = {};
  const servers = s.servers.map((sv) => {
    const disk = DISKS[rng.int(DISKS.length)]!;
    disks[sv.name] = disk;
    return { ...sv, disk };
  });
  const scenario: Scenario = { ...s, nbd: { ...s.nbd, connectionPoolSize: pool }, jobs: jobSpecs, links, servers };
  return { scenario, shape: { nbd: { connection_pool_size: pool }, jobs, disks, rates } };
}
