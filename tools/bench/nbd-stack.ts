/**
 * The full NBD stack for the bench, built by the scenario runner's buildWorld (trace switchable,
 * no jobs, so no history tap on the request path): client host (workload → blk-mq → NBD driver
 * → kernel TCP → NIC) ⇄ switch ⇄ server host (NIC → kernel TCP → NBD server program → virtual disk).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { VirtualDisk } from '../../hw-sim/disk/disk.ts';
import type { Machine } from '../../scenarios/machine/index.ts';
import type { ClientNbd } from '../../scenarios/runner/client-nbd.ts';
import { buildWorld } from '../../scenarios/runner/world.ts';
import { parseScenario } from '../../scenarios/schema/index.ts';
import { Workload } from '../../scenarios/workload/workload.ts';
import type { WorkloadReport } from '../../scenarios/workload/report.ts';

export const EXPORT_BYTES = 64 << 20;

export interface NbdStack {
  engine: Engine;
  machine: Machine;
  nbd: ClientNbd;
  /** The world's release (its cache memory goes to the next stack's cache), once its last run is over. */
  release: () => void;
}

export interface NbdStackOptions {
  trace: boolean;
  connections: number;
  /**
   * The driver's local block cache (512 MiB by default). Off, every READ crosses the wire; on, a
   * 20k-request run over the 64 MiB export hits the cache ~42 % of the time (repeated blocks).
   */
  cache: boolean;
  seed?: number;
}

/** One RAM-backed server on a 25 GbE, 20 µs cable; `connections` round-robin connections. */
function scenarioText(connections: number, cache: boolean): string {
  return `[scenario]
name = "nbd-bench"

[machine]
cores = 4
nic = { rx_ring = 1024, tx_ring = 1024 }
irq_coalescing = { delay = "20us", frames = 16 }

[[server]]
name = "a"
cores = 4
disk = "ram"
multi_conn = true
[[server.export]]
name = "disk0"
size = ${EXPORT_BYTES}

[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "20us"

[nbd]
${cache ? '' : 'local_cache_size = 0\nread_ahead_size = 0'}
connection_pool_size = ${connections}
connection_max_count = ${Math.max(connections, 8)}
# Round-robin over the pool; single would keep every request on the first connection.
load_balancing = ${connections > 1}
server_load_balancing = ${connections > 1}
`;
}

/** Writes a non-zero pattern over the whole disk, so reads return data chunks, not holes. */
function fill(engine: Engine, disk: VirtualDisk): void {
  const step = 1 << 20;
  const block = new Uint8Array(step);
  for (let i = 0; i < step; i++) block[i] = (i * 131 + 7) & 0xff || 1;
  let left = EXPORT_BYTES / step;
  for (let off = 0; off < EXPORT_BYTES; off += step) {
    disk.write(off, block, false, (err) => {
      if (err) throw new Error(`nbd bench: filling the export failed at ${off}: ${err}`);
      left--;
    });
  }
  while (left > 0 && engine.step());
  // The flush moves the 16k filled pages to the media: part of the build, not of the timed run.
  let flushed = false;
  disk.flush((err) => {
    if (err) throw new Error(`nbd bench: flushing the filled export failed: ${err}`);
    flushed = true;
  });
  while (!flushed && engine.step());
  if (!flushed) throw new Error('nbd bench: the export\'s flush did not complete');
}

/** Builds and connects; returns once the device is ready with its capacity known. */
export function buildNbdStack(o: NbdStackOptions): NbdStack {
  const w = buildWorld(parseScenario(scenarioText(o.connections, o.cache), 'nbd-bench.toml'), o.seed ?? 1, { trace: o.trace });
  const { engine, machine } = w;
  const nbd = w.nbd!;
  fill(engine, w.servers.get('a')!.disks.get('disk0')!);
  const limit = engine.now + 1e9;
  while (!(nbd.device.state === 'ready' && nbd.disk.capacityBytes > 0 && nbd.device.conns.live === o.connections)) {
    const next = engine.nextEventTime();
    if (next === undefined || next > limit) {
      throw new Error(`nbd bench: device ${nbd.device.state} with ${nbd.device.conns.live} connections after 1 s virtual`);
    }
    engine.step();
  }
  return { engine, machine, nbd, release: w.release };
}

/**
 * Empties the client cache, as on a fresh stack: a read-only job leaves it clean, so this is
 * drop_caches, and the next cache-on run's hits are its own repeats only.
 */
export function dropClientCache(s: NbdStack): void {
  s.nbd.device.cache.blocks.dropAll();
}

/** Runs one randread job to completion on a built stack (again and again if need be); the job's report. */
export function runRandread(s: NbdStack, ios: number, iodepth: number): WorkloadReport {
  const client = s.machine.host('client');
  let report: WorkloadReport | null = null;
  const w = new Workload(client.kernel, s.nbd.disk, [{ name: 'randread', rw: 'randread', bs: '4k', iodepth, ios }], {
    onDone: (r) => {
      report = r;
      s.engine.stop();
    },
  });
  w.start();
  s.engine.run();
  if (!report) throw new Error('nbd bench: the workload did not finish');
  return report;
}
