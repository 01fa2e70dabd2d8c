import type { z } from 'zod';
import type { ScenarioDocument } from './document.ts';
import type { timelineSchema } from './timeline.ts';
import { isRamDevice, ramDiskBytes } from './workload.ts';
import { mgmtArgvProblem } from './mgmt-argv.ts';
import { addressProblem } from './address.ts';
import { splitDevice } from './devices.ts';
import { deviceExpectations } from './expect-devices.ts';
import {
  CLIENT_HOST,
  type Expectations,
  type JobSpec,
  type LinkSpec,
  type MachineSpec,
  type Percentile,
  type ServerSpec,
  type TimelineEvent,
  type VolumeSpec,
} from './types.ts';

/** A dangling reference or inconsistency found after the schema passed. */
export class RefProblem {
  constructor(readonly path: (string | number)[], readonly reason: string) {}
}

const list = (xs: Iterable<string>) => [...xs].map((x) => `"${x}"`).join(', ');

export function normaliseMachine(m: ScenarioDocument['machine']): MachineSpec {
  return {
    cores: m.cores,
    nic: { rxRing: m.nic.rx_ring, txRing: m.nic.tx_ring, rateBps: m.nic.rate },
    irqCoalescing: { delayNs: m.irq_coalescing.delay, frames: m.irq_coalescing.frames },
    ioScheduler: m.io_scheduler,
    plug: m.plug,
    cpuCostScale: m.cpu_cost_scale,
    tcp: { autocorking: m.tcp.autocorking },
  };
}

export function normaliseVolumes(doc: ScenarioDocument): VolumeSpec[] {
  const names = new Set<string>();
  return doc.volume.map((v, i) => {
    if (names.has(v.name)) throw new RefProblem(['volume', i, 'name'], `duplicate volume name "${v.name}"`);
    names.add(v.name);
    return { name: v.name, sizeBytes: v.size, disk: v.disk, writeCache: v.write_cache, prefill: v.prefill };
  });
}

export function normaliseServers(doc: ScenarioDocument, volumes: readonly VolumeSpec[] = []): ServerSpec[] {
  const names = new Set<string>();
  return doc.server.map((s, i) => {
    if (s.name === CLIENT_HOST) throw new RefProblem(['server', i, 'name'], `"${CLIENT_HOST}" is the [machine]; pick another server name`);
    if (names.has(s.name)) throw new RefProblem(['server', i, 'name'], `duplicate server name "${s.name}"`);
    names.add(s.name);
    const badAddress = s.address === undefined ? undefined : addressProblem(s.address);
    if (badAddress) throw new RefProblem(['server', i, 'address'], badAddress);
    const exportNames = new Set<string>();
    s.export.forEach((e, k) => {
      if (exportNames.has(e.name)) throw new RefProblem(['server', i, 'export', k, 'name'], `duplicate export "${e.name}"`);
      exportNames.add(e.name);
    });
    const exports = s.export.map((e, k) => {
      const at = ['server', i, 'export', k];
      if (e.volume === undefined) {
        if (e.size === undefined) throw new RefProblem([...at, 'size'], 'missing required key (an export needs a size, or a volume)');
        return { name: e.name, sizeBytes: e.size, readOnly: e.read_only, prefill: e.prefill, allow: e.allow, readOnlyFor: e.read_only_for, volume: undefined, backend: `${s.name}/${e.name}` };
      }
      const vol = volumes.find((v) => v.name === e.volume);
      if (!vol) throw new RefProblem([...at, 'volume'], `no [[volume]] named "${e.volume}" (volumes: ${list(volumes.map((v) => v.name))})`);
      if (e.size !== undefined && e.size !== vol.sizeBytes) throw new RefProblem([...at, 'size'], `${e.size} bytes, but volume "${vol.name}" has ${vol.sizeBytes}`);
      return { name: e.name, sizeBytes: vol.sizeBytes, readOnly: e.read_only, prefill: vol.prefill, allow: e.allow, readOnlyFor: e.read_only_for, volume: vol.name, backend: `volume/${vol.name}` };
    });
    const eio = s.faults.eio.map((r, k) => {
      const exp = r.export ?? exports[0]!.name;
      const target = exports.find((e) => e.name === exp);
      const at = ['server', i, 'faults', 'eio', k];
      if (!target) throw new RefProblem([...at, 'export'], `server "${s.name}" has no export "${exp}" (has ${list(exportNames)})`);
      if (r.offset + r.length > target.sizeBytes) throw new RefProblem([...at, 'length'], `range ends at ${r.offset + r.length}, past the end of export "${exp}" (${target.sizeBytes} bytes)`);
      return { export: exp, offsetBytes: r.offset, lengthBytes: r.length, ops: r.ops, rate: r.rate, error: r.error };
    });
    return {
      name: s.name,
      address: s.address,
      port: s.port,
      cores: s.cores,
      disk: s.disk,
      writeCache: s.write_cache,
      multiConn: s.multi_conn,
      udp: s.udp,
      tcp: { autocorking: s.tcp.autocorking },
      exports,
      tls: s.tls && { pskHex: s.tls.psk.toLowerCase(), identity: s.tls.identity, required: s.tls.required },
      faults: { eio, extraLatencyNs: s.faults.extra_latency },
    };
  });
}

export function normaliseLinks(doc: ScenarioDocument, hosts: ReadonlySet<string>): LinkSpec[] {
  const names = new Set<string>();
  /** Server -> the index of the link that cables it. */
  const cabled = new Map<string, number>();
  return doc.link.map((l, i) => {
    l.between.forEach((h, k) => {
      if (!hosts.has(h)) throw new RefProblem(['link', i, 'between', k], `unknown host "${h}" (hosts: ${list(hosts)})`);
    });
    if (l.between[0] === l.between[1]) throw new RefProblem(['link', i, 'between'], 'a link joins two different hosts');
    const name = l.name ?? `${l.between[0]}<->${l.between[1]}`;
    if (names.has(name)) throw new RefProblem(['link', i, l.name === undefined ? 'between' : 'name'], `duplicate link "${name}"`);
    names.add(name);
    // The fabric is a star (runner/topology.ts): each server has one cable, to the client's switch.
    if (!l.between.includes(CLIENT_HOST)) {
      throw new RefProblem(['link', i, 'between'], `links between servers are not built: every link joins "${CLIENT_HOST}" to one server (servers reach each other through the client's switch)`);
    }
    const server = l.between[0] === CLIENT_HOST ? l.between[1] : l.between[0];
    if (cabled.has(server)) throw new RefProblem(['link', i, 'between'], `server "${server}" already has a link (link ${cabled.get(server)}): a server has one cable`);
    cabled.set(server, i);
    // Every NIC of the machine takes the links' MTU (runner/topology.ts); the client has one NIC.
    if (i > 0 && l.mtu !== doc.link[0]!.mtu) {
      throw new RefProblem(['link', i, 'mtu'], `${l.mtu}, but link 0 has mtu ${doc.link[0]!.mtu}: the client has one NIC, so every link has the same MTU`);
    }
    return {
      name,
      between: l.between,
      rateBps: l.rate,
      delayNs: l.delay,
      jitterNs: l.jitter,
      loss: l.loss,
      duplicate: l.duplicate,
      reorder: l.reorder,
      reorderDelayNs: l.reorder_delay,
      corrupt: l.corrupt,
      mtu: l.mtu,
    };
  });
}

/** Resolves a timeline link reference: a link name or "a<->b" in either order. */
function resolveLink(ref: string, links: readonly LinkSpec[], path: (string | number)[]): string {
  const byName = links.find((l) => l.name === ref);
  if (byName) return byName.name;
  const pair = ref.split('<->').map((s) => s.trim());
  if (pair.length === 2) {
    const l = links.find((x) => (x.between[0] === pair[0] && x.between[1] === pair[1]) || (x.between[0] === pair[1] && x.between[1] === pair[0]));
    if (l) return l.name;
    throw new RefProblem(path, `no [[link]] between "${pair[0]}" and "${pair[1]}"`);
  }
  throw new RefProblem(path, `unknown link "${ref}" (links: ${list(links.map((l) => l.name))}; or write "a<->b")`);
}

/** A partition's direction "x->y": both ends of the link, in either order. */
function resolveDirection(ref: string, link: LinkSpec, path: (string | number)[]): { from: string; to: string } {
  const [from, to, ...rest] = ref.split('->').map((s) => s.trim());
  const ends = link.between;
  if (rest.length > 0 || !from || !to || from === to || !ends.includes(from) || !ends.includes(to)) {
    throw new RefProblem(path, `direction "${ref}" must be "${ends[0]}->${ends[1]}" or "${ends[1]}->${ends[0]}" (the ends of link "${link.name}")`);
  }
  return { from, to };
}

type RawAt = z.output<typeof timelineSchema>;

export function normaliseTimeline(
  raw: readonly RawAt[], servers: readonly ServerSpec[], links: readonly LinkSpec[], devices?: readonly string[], volumes: readonly VolumeSpec[] = [],
): TimelineEvent[] {
  const server = (name: string, i: number): string => {
    if (!servers.some((s) => s.name === name)) throw new RefProblem(['at', i, 'target'], `unknown server "${name}" (servers: ${list(servers.map((s) => s.name))})`);
    return name;
  };
  const out = raw.map((a, i): TimelineEvent => {
    const base = { index: i, atNs: a.time };
    switch (a.action) {
      case 'crash':
      case 'restart':
        // The client host crashes too: its driver's cache (dirty data included) is lost.
        return { ...base, action: a.action, server: a.target === CLIENT_HOST ? CLIENT_HOST : server(a.target, i) };
      case 'hang':
        return { ...base, action: a.action, server: server(a.target, i), durationNs: a.duration };
      case 'slow':
        return { ...base, action: a.action, server: server(a.target, i), delayNs: a.delay, durationNs: a.duration };
      case 'malformed':
        return { ...base, action: a.action, server: server(a.target, i), count: a.count, kind: a.kind };
      case 'nic-dma-corrupt':
        return { ...base, action: a.action, host: a.target === CLIENT_HOST ? CLIENT_HOST : server(a.target, i), rate: a.rate, durationNs: a.duration };
      case 'dma-error':
        if (a.device === 'disk' && a.target === CLIENT_HOST) throw new RefProblem(['at', i, 'target'], 'device = "disk" needs a server (the client has no exported disks)');
        return { ...base, action: a.action, host: a.target === CLIENT_HOST ? CLIENT_HOST : server(a.target, i), device: a.device, rate: a.rate, durationNs: a.duration };
      case 'volume-power-loss': {
        const exported = [...new Set(servers.flatMap((x) => x.exports.flatMap((e) => (e.volume === undefined ? [] : [e.volume]))))];
        if (!exported.includes(a.target)) throw new RefProblem(['at', i, 'target'], `no server exports a volume "${a.target}" (exported volumes: ${list(exported)})`);
        return { ...base, action: a.action, volume: a.target };
      }
      case 'mem-bitflip':
        return { ...base, action: a.action, server: server(a.target, i), rate: a.rate, durationNs: a.duration };
      case 're-export': {
        const s = servers.find((x) => x.name === server(a.target, i))!;
        const exp = s.exports.find((e) => e.name === (a.export ?? s.exports[0]!.name));
        if (!exp) throw new RefProblem(['at', i, 'export'], `server "${s.name}" has no export "${a.export}"`);
        const vol = volumes.find((v) => v.name === a.volume);
        if (!vol) throw new RefProblem(['at', i, 'volume'], `no [[volume]] named "${a.volume}" (volumes: ${list(volumes.map((v) => v.name))})`);
        if (vol.sizeBytes !== exp.sizeBytes) throw new RefProblem(['at', i, 'volume'], `volume "${vol.name}" has ${vol.sizeBytes} bytes, export "${exp.name}" ${exp.sizeBytes}`);
        return { ...base, action: a.action, server: s.name, export: exp.name, volume: vol.name };
      }
      case 'disk-eio': {
        const s = servers.find((x) => x.name === server(a.target, i))!;
        const exp = s.exports.find((e) => e.name === (a.export ?? s.exports[0]!.name));
        if (!exp) throw new RefProblem(['at', i, 'export'], `server "${s.name}" has no export "${a.export}"`);
        if (a.offset + a.length > exp.sizeBytes) throw new RefProblem(['at', i, 'length'], `range ends at ${a.offset + a.length}, past the end of export "${exp.name}" (${exp.sizeBytes} bytes)`);
        return { ...base, action: a.action, server: s.name, export: exp.name, offsetBytes: a.offset, lengthBytes: a.length, ops: a.ops, error: a.error, durationNs: a.duration };
      }
      case 'partition': {
        const link = resolveLink(a.target, links, ['at', i, 'target']);
        const direction = a.direction === undefined ? undefined : resolveDirection(a.direction, links.find((l) => l.name === link)!, ['at', i, 'direction']);
        return { ...base, action: a.action, link, durationNs: a.duration, ...(direction ? { direction } : {}) };
      }
      case 'link-down':
        return { ...base, action: a.action, link: resolveLink(a.target, links, ['at', i, 'target']), durationNs: a.duration };
      case 'heal':
      case 'link-up':
        return { ...base, action: a.action, link: resolveLink(a.target, links, ['at', i, 'target']) };
      case 'set-link': {
        // A cable's rate and delays are fixed once built (hw-sim/net/link.ts); impairments change live.
        for (const [key, v] of [['rate', a.rate], ['delay', a.delay], ['jitter', a.jitter]] as const) {
          if (v !== undefined) throw new RefProblem(['at', i, key], `set-link cannot change ${key}: a link's rate, delay and jitter are fixed when it is built (not built: changing them mid-run); set-link changes loss, duplicate, reorder and corrupt`);
        }
        const set: Record<string, number> = {};
        const fields = [['loss', a.loss], ['duplicate', a.duplicate], ['reorder', a.reorder], ['corrupt', a.corrupt]] as const;
        for (const [k, v] of fields) if (v !== undefined) set[k] = v;
        if (Object.keys(set).length === 0) throw new RefProblem(['at', i], 'set-link needs at least one of loss, duplicate, reorder, corrupt');
        return { ...base, action: a.action, link: resolveLink(a.target, links, ['at', i, 'target']), set };
      }
      case 'mgmt': {
        const argv = typeof a.command === 'string' ? a.command.trim().split(/\s+/) : a.command;
        const own = splitDevice(argv);
        if (own.device !== undefined && devices && !devices.includes(own.device)) {
          throw new RefProblem(['at', i, 'command'], `no NBD device "${own.device}" (devices: ${list(devices)})`);
        }
        const problem = mgmtArgvProblem(own.argv, servers.map((x) => x.name));
        if (problem !== undefined) throw new RefProblem(['at', i, 'command'], problem);
        return { ...base, action: a.action, argv };
      }
    }
  });
  // Stable: same-time events keep file order.
  return out.sort((x, y) => x.atNs - y.atNs || x.index - y.index);
}

/** Fills in each job's size from its export and checks it fits. */
export function normaliseJobs(doc: ScenarioDocument, deviceSize: (device: string) => number | undefined): JobSpec[] {
  const names = new Set<string>();
  return doc.job.map((j, i) => {
    if (names.has(j.name)) throw new RefProblem(['job', i, 'name'], `duplicate job name "${j.name}"`);
    names.add(j.name);
    const devSize = isRamDevice(j.device) ? ramDiskBytes(doc.job, j.device) : deviceSize(j.device);
    if (devSize === undefined) throw new RefProblem(['job', i, 'device'], `no NBD device "${j.device}" (the [nbd] exports make nbd0, nbd1, ...; ram0, ram1, ... are RAM disks)`);
    const sizeBytes = j.size ?? devSize - j.offset;
    if (j.offset + sizeBytes > devSize || sizeBytes <= 0) {
      throw new RefProblem(['job', i, j.size === undefined ? 'offset' : 'size'], `offset ${j.offset} + size ${sizeBytes} does not fit ${j.device} (${devSize} bytes)`);
    }
    if (j.bs > sizeBytes) throw new RefProblem(['job', i, 'bs'], `block size ${j.bs} exceeds the job's size ${sizeBytes}`);
    return {
      name: j.name,
      device: j.device,
      rw: j.rw,
      bsBytes: j.bs,
      iodepth: j.iodepth,
      numjobs: j.numjobs,
      sizeBytes,
      offsetBytes: j.offset,
      runtimeNs: j.runtime,
      ios: j.ios,
      rwmixread: j.rwmixread,
      fsyncEvery: j.fsync,
      fuaPercent: j.fua,
      writeZeroesPercent: j.write_zeroes,
      ...(j.buffer_compress_percentage !== undefined ? { compressPercent: j.buffer_compress_percentage } : {}),
      verify: j.verify,
      startNs: j.start,
      continueOnError: j.continue_on_error,
      bsMaxBytes: j.bs_max,
      hotSpot: j.hot_spot && { sizeBytes: j.hot_spot.size, share: j.hot_spot.share },
    };
  });
}

export function normaliseExpect(e: ScenarioDocument['expect'], jobs: readonly JobSpec[], devices: readonly string[]): Expectations {
  if (e.corrupted_reads && e.safety) throw new RefProblem(['expect', 'corrupted_reads'], 'corrupted_reads = true expects safety violations: set safety = false');
  // A run with safety violations fails (runner/run.ts) unless it expects corrupted reads: safety = false alone would only hide the row.
  if (!e.safety && !e.corrupted_reads) throw new RefProblem(['expect', 'safety'], 'the safety checker cannot be turned off: safety = false is only for runs that expect corrupted reads (set corrupted_reads = true), else remove it');
  const perJob = <T>(v: T | { min: T; job?: string | undefined } | undefined, key: string) => {
    if (v === undefined) return undefined;
    const r = typeof v === 'object' && v !== null && 'min' in v ? { min: v.min, job: v.job } : { min: v as T, job: undefined };
    if (r.job !== undefined && !jobs.some((j) => j.name === r.job)) throw new RefProblem(['expect', key, 'job'], `unknown job "${r.job}"`);
    return r;
  };
  const latency: Expectations['latency'] = {};
  for (const op of ['read', 'write', 'flush', 'trim'] as const) {
    const p = e.latency[op];
    if (p) latency[op] = percentilesOf(p, ['expect', 'latency', op]);
  }
  const c = e.cache;
  if (c?.device !== undefined && !devices.includes(c.device)) throw new RefProblem(['expect', 'cache', 'device'], `no NBD device "${c.device}" (devices: ${list(devices)})`);
  const cache = c && { device: c.device, hitRatio: c.hit_ratio, readAheadHits: c.read_ahead_hits, hitLatency: c.hit_latency ? percentilesOf(c.hit_latency, ['expect', 'cache', 'hit_latency']) : {} };
  const bw = perJob(e.bandwidth, 'bandwidth');
  const dev = deviceExpectations(e.device, devices, (path, reason) => { throw new RefProblem(path, reason); });
  return {
    safety: e.safety,
    livenessNs: e.liveness,
    recoveryNs: e.recovery,
    iops: perJob(e.iops, 'iops'),
    ...(e.iops_max !== undefined ? { iopsMax: e.iops_max } : {}),
    bandwidth: bw && { minBps: bw.min, job: bw.job },
    latency,
    noErrors: e.no_errors,
    ...(e.network_latency ? { networkLatency: percentilesOf(e.network_latency, ['expect', 'network_latency']) } : {}),
    ...(e.submission_latency ? { submissionLatency: percentilesOf(e.submission_latency, ['expect', 'submission_latency']) } : {}),
    ...(e.failover !== undefined ? { failoverNs: e.failover } : {}),
    ...(e.backup_standby !== undefined ? { backupStandbyNs: e.backup_standby } : {}),
    ...(e.wire_bytes ? { wireBytes: { rx: e.wire_bytes.rx, tx: e.wire_bytes.tx } } : {}),
    jobsComplete: e.jobs_complete,
    cleanTransport: e.clean_transport,
    crashLoss: e.crash_loss,
    ...(e.cpu_busy !== undefined ? { cpuBusy: e.cpu_busy } : {}),
    ...(e.wire_commands ? { wireCommands: { merged: e.wire_commands.merged === true, fua: e.wire_commands.fua, writeZeroes: e.wire_commands.write_zeroes } } : {}),
    ...(e.corrupted_reads ? { corruptedReads: true } : {}),
    ...(e.mirror_in_sync !== undefined ? { mirrorInSync: e.mirror_in_sync } : {}),
    ...(dev ? { device: dev } : {}),
    ...(cache ? { cache } : {}),
  };
}

type PercentileLimits = NonNullable<ScenarioDocument['expect']['latency']['read']>;

function percentilesOf(p: PercentileLimits, at: (string | number)[]): Partial<Record<Percentile, number>> {
  const out: Partial<Record<Percentile, number>> = {};
  if (p.p50 !== undefined) out.p50 = p.p50;
  if (p.p90 !== undefined) out.p90 = p.p90;
  if (p.p99 !== undefined) out.p99 = p.p99;
  if (p['p99.9'] !== undefined && p.p999 !== undefined) throw new RefProblem([...at, 'p999'], 'p999 is another name for "p99.9": give one of them');
  const p999 = p['p99.9'] ?? p.p999;
  if (p999 !== undefined) out['p99.9'] = p999;
  if (p.max !== undefined) out.max = p.max;
  return out;
}
