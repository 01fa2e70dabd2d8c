/**
 * The full NBD stack for the bench, built the way scenarios/runner builds a world but with the
 * trace switchable and no history tap: client host (workload → blk-mq → NBD driver E7 → kernel
 * TCP → NIC) ⇄ switch ⇄ server host (NIC → kernel TCP → NBD server program E5 → virtual disk).
 */
import { Engine } from '../../hw-sim/engine/engine.ts';
import type { VirtualDisk } from '../../hw-sim/disk/disk.ts';
import { defaultNbdConfig } from '../../drivers/nbd/config/index.ts';
import { NbdServerProgram } from '../../scenarios/hosts/nbd-server/program.ts';
import { buildMachine, type Machine, type MachineConfig } from '../../scenarios/machine/index.ts';
import { attachNbdClient, type ClientNbd } from '../../scenarios/runner/client-nbd.ts';
import { Workload } from '../../scenarios/workload/workload.ts';
import type { WorkloadReport } from '../../scenarios/workload/report.ts';

export const EXPORT_BYTES = 64 << 20;
const PORT = 10809;

export interface NbdStack {
  engine: Engine;
  machine: Machine;
  nbd: ClientNbd;
}

export interface NbdStackOptions {
  trace: boolean;
  connections: number;
  seed?: number;
}

function machineConfig(): MachineConfig {
  const nic = { rxRingSize: 1024, txRingSize: 1024, rxCoalesce: { maxEvents: 16, maxDelayNs: 20_000 } };
  return {
    hosts: [
      { name: 'client', role: 'client', ip: '10.0.0.1', cores: 4, nic, link: { rateBps: 25e9, propagationNs: 0 } },
      { name: 'a', role: 'server', ip: '10.0.0.10', cores: 4, nic, link: { rateBps: 25e9, propagationNs: 20_000 } },
    ],
  };
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
  disk.flush(() => {});
}

/** Builds and connects; returns once the device is ready with its capacity known. */
export function buildNbdStack(o: NbdStackOptions): NbdStack {
  const engine = new Engine({ seed: o.seed ?? 1, trace: o.trace });
  const machine = buildMachine(machineConfig(), { engine });
  const server = new NbdServerProgram(machine.host('a'), {
    port: PORT, traceRequests: o.trace,
    exports: [{ name: 'disk0', size: EXPORT_BYTES, disk: 'ram', multiConn: true }],
  });
  fill(engine, server.disks.get('disk0')!);
  server.start();
  const config = {
    ...defaultNbdConfig(),
    connectionPoolSize: o.connections,
    connectionMaxCount: Math.max(o.connections, 8),
    // Round-robin over the pool; 'single' would keep every request on the first connection.
    loadBalancing: o.connections > 1,
    serverLoadBalancing: o.connections > 1,
    servers: [{ name: 'a', address: undefined, port: PORT, export: 'disk0' }],
    exports: [],
  };
  const resolve = (name: string): number | undefined => (machine.hosts.has(name) ? machine.host(name).ip : undefined);
  const nbd = attachNbdClient(engine, machine.host('client'), { name: 'nbd0', config, queueDepth: 64, resolve });
  const limit = engine.now + 1e9;
  while (!(nbd.device.state === 'ready' && nbd.disk.capacityBytes > 0 && nbd.device.conns.live === o.connections)) {
    const next = engine.nextEventTime();
    if (next === undefined || next > limit) {
      throw new Error(`nbd bench: device ${nbd.device.state} with ${nbd.device.conns.live} connections after 1 s virtual`);
    }
    engine.step();
  }
  return { engine, machine, nbd };
}

/** Runs one randread job to completion on a built stack; the report of the job. */
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
