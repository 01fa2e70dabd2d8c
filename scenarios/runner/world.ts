/**
 * A scenario built and ready to run: the engine, the machine (client + servers around the
 * switch), the NBD server program on every server host, the NBD driver on the client, the
 * workloads on their block devices behind the history tap, and the timeline scheduled.
 */
import { BUG_NAMES, Bugs, isBugName } from '../../hw-sim/engine/bugs.ts';
import { Engine } from '../../hw-sim/engine/engine.ts';
import { PcapWriter, type PcapSink } from '../../hw-sim/net/pcap.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { NbdServerProgram } from '../hosts/nbd-server/program.ts';
import type { SharedVolume } from '../../hw-sim/disk/shared-volume.ts';
import { buildMachine, type Machine } from '../machine/machine.ts';
import type { Host } from '../machine/host.ts';
import { CLIENT_HOST, type Ns, type Scenario } from '../schema/types.ts';
import type { Workload } from '../workload/workload.ts';
import { isRamDevice } from '../schema/workload.ts';
import { attachNbdClient, type ClientNbd } from './client-nbd.ts';
import { HistoryTap } from './history-tap.ts';
import { WireLatency } from './wire-latency.ts';
import { SubmissionLatency } from './submission-latency.ts';
import { scaledCosts } from '../../hw-sim/cpu/costs.ts';
import { ServerAckChecker } from '../checkers/server-acks.ts';
import { ErrorKindChecker } from '../checkers/error-kinds.ts';
import { CrashLoss } from '../checkers/crash-loss.ts';
import { BackupStandby, serversByRole } from '../checkers/backup-standby.ts';
import { startJobs } from './jobs.ts';
import { runDeviceMgmt } from './mgmt.ts';
import { nbdDeviceGroups, type NbdDeviceGroup } from '../schema/devices.ts';
import { isMirror } from '../../drivers/nbd/config/backend.ts';
import { buildVolumes, crashLosesData, startServers } from './servers.ts';
import { drawSwarm } from './swarm.ts';
import { drawShape } from './swarm-shape.ts';
import { scheduleTimeline, type TimelineLog } from './timeline.ts';
import { machineConfigOf } from './topology.ts';
import type { RunOptions } from './types.ts';

/** Test hooks (a deliberately broken build) the runner knows by name: the bug catalogue. */
export const FAULT_INJECTIONS = BUG_NAMES;

/** The broken driver drops the write at this fraction of the writes the jobs will issue (late, so few later writes can hide it). */
const DROP_AT = 0.85;

export interface World {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine: Engine;
  readonly machine: Machine;
  readonly client: Host;
  readonly servers: ReadonlyMap<string, NbdServerProgram>;
  /** Shared volumes by `[[volume]]` name. */
  readonly volumes: ReadonlyMap<string, SharedVolume>;
  /** The first NBD device on the client; undefined in a scenario without servers (RAM disks only). */
  readonly nbd: ClientNbd | undefined;
  /** Every NBD device by name (nbd0, nbd1, ...): one per export the servers attach. */
  readonly nbds: ReadonlyMap<string, ClientNbd>;
  /** The tapped block device per device name (nbd0, ram0 ...). */
  readonly disks: ReadonlyMap<string, HistoryTap>;
  readonly workloads: readonly Workload[];
  /** The network stage of latency, per packet (NIC to NIC); measured only under `[expect] network_latency`. */
  readonly network: WireLatency | undefined;
  /**
   * The submission stage of latency, per request (queue_rq to the header's first byte on the
   * client's wire); measured only under `[expect] submission_latency`.
   */
  readonly submission: SubmissionLatency | undefined;
  /** Per device with verify jobs: when its read-back of every written block started. */
  readonly readBacks: ReadonlyMap<string, Ns>;
  readonly timeline: TimelineLog;
  /** Per NBD device, with `[expect] crash_loss`: whether a crash really rolled data back. */
  readonly crashLoss: ReadonlyMap<string, CrashLoss>;
  /** Server-side ack ordering, checked online from the trace (undefined with the trace off). */
  readonly serverAcks: ServerAckChecker | undefined;
  /**
   * The run is over (its result taken): the NBD devices' caches give their memory to the next
   * world of this process (drivers/nbd/cache/segment-pool.ts). The world must not run again.
   */
  release(): void;
  /** Errors keep their kind from the server's disk to the job (trace on only). */
  readonly errorKinds: ErrorKindChecker | undefined;
  /** `[expect] backup_standby`: the backups' I/O sampled around the primaries' outages. */
  readonly backupStandby: BackupStandby | undefined;
  /**
   * Virtual time after which a run whose jobs are stuck stops: past the timeline, the jobs'
   * runtimes and the last completed request by the liveness limit and a grace period.
   */
  deadlineNs(): Ns;
  /** Jobs finished and every timeline event (heals included) applied. */
  finished(): boolean;
  /**
   * How the run ended (set by runWorld): 'finished' (jobs and timeline done), 'stalled' (the
   * deadline passed first: the clock was advanced to it), 'until' (stopped at RunOptions.untilNs),
   * 'threw' (a simulator exception, in `error`).
   */
  end: RunEnd | undefined;
  error: string | undefined;
}

export type RunEnd = 'finished' | 'stalled' | 'until' | 'threw';

/** The history tap's block when requests allow it: the disk's page. */
const PAGE = 4096;

/** How long past the last fault (or the last timeline event) a stuck run may go on. */
const GRACE_NS = 1_000_000_000;
/** Without a liveness limit: how long no request may complete before the run is declared stuck. */
const STALL_NS = 5_000_000_000;

export function buildWorld(given: Scenario, seed: number, opts: RunOptions = {}): World {
  if (opts.faultInjection !== undefined && !isBugName(opts.faultInjection)) {
    throw new Error(`faultInjection: unknown hook '${opts.faultInjection}' (known: ${FAULT_INJECTIONS.join(', ')})`);
  }
  const trace = opts.trace ?? true;
  const bugs = new Bugs(opts.faultInjection !== undefined ? [opts.faultInjection] : []);
  const engine = new Engine({ seed, trace, bugs });
  // Swarm: the seed draws pool size, queue depths, link rates and disks before anything is built.
  const shaped = opts.swarm ? drawShape(given, engine) : undefined;
  const s = shaped?.scenario ?? given;
  if (opts.onTrace) engine.trace.subscribe(opts.onTrace);
  const serverAcks = trace ? new ServerAckChecker() : undefined;
  serverAcks?.attach(engine.trace);
  const errorKinds = trace ? new ErrorKindChecker() : undefined;
  errorKinds?.attach(engine.trace, CLIENT_HOST);
  const machine = buildMachine(machineConfigOf(s), { engine, costs: scaledCosts(s.machine.cpuCostScale) });
  const client = machine.host(CLIENT_HOST);
  // The latency stages cost a tap call per packet: only a scenario that limits them measures them.
  const network = s.expect.networkLatency ? new WireLatency(engine) : undefined;
  if (network) machine.fabric.addTap(network);
  const submission = s.expect.submissionLatency ? new SubmissionLatency(client.link) : undefined;
  if (submission) client.link.addTap(submission);
  if (opts.onPacket) client.link.addTap(new PcapWriter(packetSink(opts.onPacket)));
  const costs = s.machine.cpuCostScale > 0 ? scaledCosts(s.machine.cpuCostScale) : undefined;
  const volumes = buildVolumes(machine, s.volumes ?? []);
  const servers = startServers(machine, s.servers, { traceRequests: trace, costs, volumes });
  const resolve = (name: string): number | undefined => (machine.hosts.has(name) ? machine.host(name).ip : undefined);
  let writes = 0;
  let dropped = false;
  const dropAfter = Math.floor(DROP_AT * expectedWrites(s));
  const dropWrite = engine.bugs.has('drop-acked-write')
    ? (): boolean => {
      if (dropped || ++writes <= dropAfter) return false;
      dropped = true;
      return true;
    }
    : undefined;
  const depth = Math.max(32, ...s.jobs.map((j) => j.iodepth * j.numjobs * 2));
  // One NBD device per export the servers attach (nbd0, nbd1, ...); no servers: none (jobs run on RAM disks).
  const nbds = new Map<string, ClientNbd>();
  const groups = s.servers.length === 0 ? [] : nbdDeviceGroups(s.nbd);
  groups.forEach((g, k) => {
    nbds.set(g.device, attachNbdClient(engine, client, {
      name: g.device, config: g.config, queueDepth: Math.min(depth, 256), scheduler: s.machine.ioScheduler, resolve,
      costs,
      ...(dropWrite && k === 0 ? { dropWrite } : {}),
    }));
  });
  if (submission) for (const n of nbds.values()) n.device.io.onSubmit = submission.onSubmit;
  const nbd = nbds.values().next().value;
  const disks = new Map<string, HistoryTap>();
  const crashLoss = new Map<string, CrashLoss>();
  const tapOf = (name: string): HistoryTap => {
    let t = disks.get(name);
    if (t) return t;
    const d: GenDisk | undefined = client.kernel.block.disk(name);
    if (!d) throw new Error(`job device '${name}': no such block device on the client (have ${client.kernel.block.listDisks().join(', ')})`);
    const jobs = s.jobs.filter((j) => j.device === name);
    // Per 4 KiB page when every request of the device's jobs is whole pages (the disk's granule).
    const paged = jobs.every((j) => j.bsBytes % PAGE === 0 && j.offsetBytes % PAGE === 0 && j.sizeBytes % PAGE === 0);
    const loss = s.expect.crashLoss === true && !isRamDevice(name) ? new CrashLoss(paged ? PAGE : 512) : undefined;
    if (loss) crashLoss.set(name, loss);
    t = new HistoryTap(engine, d, client.kernel.ctx, {
      ...(loss ? { observer: loss } : {}),
      blockSize: paged ? PAGE : 512,
      prefilled: !isRamDevice(name) && prefillOf(s, name) === 'pattern',
      keepOps: s.expect.livenessNs !== undefined || s.expect.recoveryNs !== undefined,
      crashesPossible: s.timeline.some((e) => e.action === 'crash' || e.action === 'volume-power-loss'),
      cpu: client.hw.cpu,
      costs,
      plug: s.machine.plug,
    });
    disks.set(name, t);
    return t;
  };
  const swarm = opts.swarm ? drawSwarm(s, engine, machine, shaped?.shape) : undefined;
  const enabled = swarm?.enabled;
  const tl = scheduleTimeline(s, {
    engine, machine, servers, ...(enabled ? { enabled } : {}),
    // A server crash reaches the NBD devices only, never a RAM disk of the client.
    // A crash of a server that only exports shared volumes loses no acknowledged data (the volume keeps its cache).
    crashed: (at, server) => {
      const spec = s.servers.find((x) => x.name === server);
      if (spec && !crashLosesData(spec)) return;
      // A client crash loses every NBD device's cached writes; a server crash only its own devices'.
      const all = server === CLIENT_HOST;
      // A mirror's replica crash loses nothing acknowledged: the other replicas hold it, the resync restores it.
      for (const [name, t] of disks) if (!isRamDevice(name) && (all || (servedBy(groups, name, server) && !mirrored(groups, name)))) t.crash(at, server);
    },
    volumes,
    // A volume power loss may roll back unflushed writes of every device one of its exporters serves.
    volumeLost: (at, volume) => {
      const exporters = s.servers.filter((x) => x.exports.some((e) => e.volume === volume)).map((x) => x.name);
      for (const [name, t] of disks) {
        const by = exporters.find((srv) => servedBy(groups, name, srv));
        if (!isRamDevice(name) && by !== undefined) t.crash(at, by);
      }
    },
    clientCrash: (down) => {
      client.link.setImpairments({ up: !down });
      for (const n of nbds.values()) if (down) n.device.clientCrash(); else n.device.clientRestart();
    },
    mgmt: (argv) => runDeviceMgmt(nbds, client.kernel, argv),
  });
  if (swarm) tl.faults.push({ atNs: 0, description: swarm.description });
  for (const ev of swarm?.added ?? []) engine.scheduleAt(ev.atNs, () => tl.inject(ev), `runner.swarm.${ev.action}`);
  const jobs = startJobs(s, { engine, client, nbd, nbds, tapOf });
  const backupStandby = s.expect.backupStandbyNs === undefined ? undefined : new BackupStandby(engine, s, s.expect.backupStandbyNs, () => {
    let n = 0;
    for (const b of serversByRole(s).backups) { const w = servers.get(b)!.server.wire; n += w.commands - w.probeShaped; }
    return n;
  });
  const lastEventNs = s.timeline.reduce((m, e) => Math.max(m, e.atNs + ('durationNs' in e && e.durationNs !== undefined ? e.durationNs : 0)), 0);
  const planned = Math.max(lastEventNs, s.lastHealNs, ...s.jobs.map((j) => j.startNs + (j.runtimeNs ?? 0)));
  const patience = (s.expect.livenessNs ?? STALL_NS) + GRACE_NS;
  // Two probe rounds and a probe's deadline, when that fits well within the run's patience.
  const probeNs = 2 * s.nbd.serverHealthCheckIntervalNs + s.nbd.serverHealthProbeTimeoutNs;
  const mirrorSettleNs = s.expect.mirrorInSync === true && probeNs < patience / 2 ? probeNs : 0;
  const deadlineNs = (): Ns => {
    let last = 0;
    for (const t of disks.values()) if (t.lastCompletionNs > last) last = t.lastCompletionNs;
    return Math.max(planned, last) + patience;
  };
  return {
    scenario: s, seed, engine, machine, client, servers, volumes, nbd, nbds, disks, workloads: jobs.workloads, network, submission, readBacks: jobs.readBacks, timeline: tl, serverAcks, errorKinds, backupStandby, crashLoss, deadlineNs,
    // mirror_in_sync is judged once the resyncs the faults started have finished (or at the
    // deadline), and a health probe had time to notice a replica whose host crashed while idle.
    finished: () => jobs.left() === 0 && engine.now >= lastEventNs + mirrorSettleNs && tl.pending === 0 && (s.expect.mirrorInSync !== true || [...nbds.values()].every((n) => n.device.mirror?.mirror.allInSync ?? true)),
    end: undefined, error: undefined,
    release: () => {
      for (const n of nbds.values()) n.device.cache.blocks.dispose();
    },
  };
}

/** What NBD device `device` holds before its first write: the prefill of the export it maps to. */
function prefillOf(s: Scenario, device: string): 'zeros' | 'pattern' {
  const exp = s.nbd.exports.find((e, k) => (e.device ?? `nbd${k}`) === device);
  if (!exp) return 'zeros';
  const served = s.servers.flatMap((h) => h.exports.filter((e) => e.name === exp.name));
  return served.some((e) => e.prefill === 'pattern') ? 'pattern' : 'zeros';
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

/** Whether NBD device `device` is a client-side mirror. */
function mirrored(groups: readonly NbdDeviceGroup[], device: string): boolean {
  const g = groups.find((x) => x.device === device);
  return g !== undefined && isMirror(g.config);
}

/** Whether `server` is one of the servers of NBD device `device`. */
function servedBy(groups: readonly NbdDeviceGroup[], device: string, server: string): boolean {
  return groups.find((g) => g.device === device)?.config.servers.some((x) => x.name === server) ?? false;
}
