/**
 * A scenario built and ready to run: the engine, the machine (client + servers around the
 * switch), the NBD server program on every server host, the NBD driver on the client, the
 * workloads on their block devices behind the history tap, and the timeline scheduled.
 */
import { Engine } from '../../hw-sim/engine/engine.ts';
import { PcapWriter, type PcapSink } from '../../hw-sim/net/pcap.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { NbdServerProgram } from '../hosts/nbd-server/program.ts';
import { buildMachine, type Machine } from '../machine/machine.ts';
import type { Host } from '../machine/host.ts';
import { CLIENT_HOST, type Ns, type Scenario } from '../schema/types.ts';
import { Workload } from '../workload/workload.ts';
import type { JobSpec as WorkloadJob } from '../workload/spec.ts';
import { attachNbdClient, type ClientNbd } from './client-nbd.ts';
import { HistoryTap } from './history-tap.ts';
import { runMgmtCommand } from './mgmt.ts';
import { startServers } from './servers.ts';
import { drawSwarm } from './swarm.ts';
import { scheduleTimeline, type TimelineLog } from './timeline.ts';
import { machineConfigOf } from './topology.ts';
import type { RunOptions } from './types.ts';

/** Test hooks (a deliberately broken driver build) the runner knows by name. */
export const FAULT_INJECTIONS = ['drop-acked-write'] as const;

/** The broken driver drops the write at this fraction of the writes the jobs will issue (late, so few later writes can hide it). */
const DROP_AT = 0.85;
/** Queue depth of the read-back of written blocks after verify jobs. */
const READ_BACK_DEPTH = 16;

export interface World {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine: Engine;
  readonly machine: Machine;
  readonly client: Host;
  readonly servers: ReadonlyMap<string, NbdServerProgram>;
  readonly nbd: ClientNbd;
  /** The tapped block device per device name (nbd0 ...). */
  readonly disks: ReadonlyMap<string, HistoryTap>;
  readonly workloads: readonly Workload[];
  readonly timeline: TimelineLog;
  /**
   * Virtual time after which a run whose jobs are stuck stops: past the timeline, the jobs'
   * runtimes and the last completed request by the liveness limit and a grace period.
   */
  deadlineNs(): Ns;
  /** Jobs finished and every timeline event (heals included) applied. */
  finished(): boolean;
}

/** How long past the last fault (or the last timeline event) a stuck run may go on. */
const GRACE_NS = 1_000_000_000;
/** Without a liveness limit: how long no request may complete before the run is declared stuck. */
const STALL_NS = 5_000_000_000;

export function buildWorld(s: Scenario, seed: number, opts: RunOptions = {}): World {
  if (opts.faultInjection !== undefined && !(FAULT_INJECTIONS as readonly string[]).includes(opts.faultInjection)) {
    throw new Error(`faultInjection: unknown hook '${opts.faultInjection}' (known: ${FAULT_INJECTIONS.join(', ')})`);
  }
  const engine = new Engine({ seed, trace: true });
  if (opts.onTrace) engine.trace.subscribe(opts.onTrace);
  const machine = buildMachine(machineConfigOf(s), { engine });
  const client = machine.host(CLIENT_HOST);
  if (opts.onPacket) client.link.addTap(new PcapWriter(packetSink(opts.onPacket)));
  const servers = startServers(machine, s.servers);
  const resolve = (name: string): number | undefined => (machine.hosts.has(name) ? machine.host(name).ip : undefined);
  let writes = 0;
  let dropped = false;
  const dropAfter = Math.floor(DROP_AT * expectedWrites(s));
  const dropWrite = opts.faultInjection === 'drop-acked-write'
    ? (): boolean => {
      if (dropped || ++writes <= dropAfter) return false;
      dropped = true;
      return true;
    }
    : undefined;
  const exportName = s.nbd.exports[0]?.device ?? 'nbd0';
  const depth = Math.max(32, ...s.jobs.map((j) => j.iodepth * j.numjobs * 2));
  const nbd = attachNbdClient(engine, client, {
    name: exportName, config: s.nbd, queueDepth: Math.min(depth, 256), resolve, ...(dropWrite ? { dropWrite } : {}),
  });
  const disks = new Map<string, HistoryTap>();
  const tapOf = (name: string): HistoryTap => {
    let t = disks.get(name);
    if (t) return t;
    const d: GenDisk | undefined = client.kernel.block.disk(name);
    if (!d) throw new Error(`job device '${name}': no such block device on the client (have ${client.kernel.block.listDisks().join(', ')})`);
    t = new HistoryTap(engine, d, client.kernel.ctx);
    disks.set(name, t);
    return t;
  };
  const workloads: Workload[] = [];
  let jobsLeft = 0;
  const byDevice = new Map<string, Scenario['jobs'][number][]>();
  for (const j of s.jobs) {
    const list = byDevice.get(j.device) ?? [];
    list.push(j);
    byDevice.set(j.device, list);
  }
  const enabled = opts.swarm ? drawSwarm(s, engine, machine) : undefined;
  const tl = scheduleTimeline(s, {
    engine, machine, servers, ...(enabled ? { enabled } : {}),
    crashed: (at, server) => { for (const t of disks.values()) t.crash(at, server); },
    mgmt: (argv) => runMgmtCommand(nbd.device, client.kernel, argv),
  });
  for (const [device, jobs] of byDevice) {
    const tap = tapOf(device);
    // The workload engine has no FUA knob: the tap sets REQ_FUA when every job on the device asks for it.
    tap.fuaWrites = jobs.every((j) => j.fua);
    jobsLeft++;
    // One workload per device so content ids stay unique on it; it starts with its earliest job.
    const startNs = Math.min(...jobs.map((j) => j.startNs));
    engine.scheduleAt(startNs, () => whenReady(nbd, (ok) => {
      if (!ok) {
        // The device failed before any I/O (e.g. TLS refused): nothing runs, the result says why.
        jobsLeft--;
        return;
      }
      const verify = jobs.some((j) => j.verify);
      const w = new Workload(client.kernel, tap, jobs.map(toWorkloadJob), {
        onDone: () => {
          if (!verify) jobsLeft--;
          else tap.readBack(READ_BACK_DEPTH, () => { jobsLeft--; });
        },
      });
      workloads.push(w);
      w.start();
    }), 'runner.jobs.start');
  }
  const lastEventNs = s.timeline.reduce((m, e) => Math.max(m, e.atNs + ('durationNs' in e && e.durationNs !== undefined ? e.durationNs : 0)), 0);
  const planned = Math.max(lastEventNs, s.lastHealNs, ...s.jobs.map((j) => j.startNs + (j.runtimeNs ?? 0)));
  const patience = (s.expect.livenessNs ?? STALL_NS) + GRACE_NS;
  const deadlineNs = (): Ns => {
    let last = 0;
    for (const t of disks.values()) if (t.lastCompletionNs > last) last = t.lastCompletionNs;
    return Math.max(planned, last) + patience;
  };
  return {
    scenario: s, seed, engine, machine, client, servers, nbd, disks, workloads, timeline: tl, deadlineNs,
    finished: () => jobsLeft === 0 && engine.now >= lastEventNs,
  };
}

/** Writes the jobs are expected to issue (ios × write share), for placing the broken driver's drop. */
function expectedWrites(s: Scenario): number {
  let n = 0;
  for (const j of s.jobs) {
    const share = j.rw.includes('write') ? 1 : j.rw === 'randrw' || j.rw === 'rw' ? (100 - j.rwmixread) / 100 : 0;
    n += (j.ios ?? 0) * j.numjobs * share;
  }
  return n > 0 ? n : 100;
}

/** Calls `fn(true)` once the device is up with a capacity, or `fn(false)` if it fails first. */
function whenReady(nbd: ClientNbd, fn: (ok: boolean) => void): void {
  const dev = nbd.device;
  let done = false;
  const check = (): void => {
    if (done) return;
    const st = dev.state;
    if ((st === 'ready' || st === 'degraded') && nbd.disk.capacityBytes > 0) {
      done = true;
      fn(true);
    } else if (st === 'failed' || st === 'disconnected') {
      done = true;
      fn(false);
    }
  };
  check();
  if (!done) {
    const sub = dev.actor.subscribe(() => {
      check();
      if (done) sub.unsubscribe();
    });
  }
}

const WORKLOAD_RW: readonly string[] = ['read', 'write', 'randread', 'randwrite', 'randrw'];

function toWorkloadJob(j: Scenario['jobs'][number]): WorkloadJob {
  const rw = j.rw;
  if (!WORKLOAD_RW.includes(rw)) throw new Error(`job '${j.name}': rw '${rw}' is not supported by the workload engine yet (use ${WORKLOAD_RW.join(', ')})`);
  return {
    name: j.name, rw: rw as WorkloadJob['rw'], bs: j.bsBytes, iodepth: j.iodepth, numjobs: j.numjobs, size: j.sizeBytes, offset: j.offsetBytes,
    rwmixread: j.rwmixread, fsyncEvery: j.fsyncEvery, verify: j.verify,
    ...(j.runtimeNs !== undefined ? { runtimeNs: j.runtimeNs } : {}), ...(j.ios !== undefined ? { ios: j.ios } : {}),
  };
}

/** pcap records from the client's cable → (time, IPv4 packet) for the CLI's --pcap. */
function packetSink(onPacket: (tNs: Ns, packet: Uint8Array) => void): PcapSink {
  let header = true;
  return {
    write(chunk) {
      if (header) { header = false; return; }
      const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const t = v.getUint32(0, true) * 1e9 + v.getUint32(4, true);
      onPacket(t, chunk.subarray(16));
    },
  };
}

