import type { Actor } from 'xstate';
import { createSimActor, type Engine, type EventHandle } from '../../hw-sim/engine/index.ts';
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { Request } from '../../kernel/block/request.ts';
import type { TimeoutAction } from '../../kernel/block/types.ts';
import { EIO } from '../../kernel/lib/errno.ts';
import { SimProtocolEngine } from './adapters/protocol-engine.ts';
import type { NbdConfig, NbdServerConfig } from './config/index.ts';
import { BackendGuard, backendOfDescription, isMirror } from './config/backend.ts';
import { MirrorSet, RESYNC_DEPTH } from './mirror/index.ts';
import { FailoverClock, ServerRoles } from './health/failover.ts';
import { HealthProber } from './health/probe.ts';
import { NBD_ORION_CHECKSUM_CRC32C, NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4 } from './protocol/uapi.ts';
import { IoPath } from './io-path.ts';
import { SilenceWatch, wireManagers } from './device-wiring.ts';
import { deviceMachine, type DeviceStateName } from './machines/device-machine.ts';
import { CacheManager } from './managers/cache-manager.ts';
import { ConnectionManager, type ConnectionOwner } from './managers/connection-manager.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import { ErrorHandler } from './managers/error-handler.ts';
import { BothGates, LoadBalancer, type LbPolicy } from './managers/load-balancer.ts';
import { NetworkManager } from './managers/network-manager.ts';
import { PerformanceMonitor } from './managers/performance-monitor.ts';
import { ProtocolManager } from './managers/protocol-manager.ts';
import type { ExportInfo, ProtocolEngine } from './protocol-port.ts';
import { SecurityManager } from './security/security-manager.ts';
import { UdpTransport } from './transport/udp-transport.ts';
import type { SocketFactory } from './socket.ts';

export interface NbdDeviceOptions {
  /** Device name, e.g. `nbd0`; trace source and stats-tree directory. */
  name: string;
  config: NbdConfig;
  sockets: SocketFactory;
  /** Default: the simulator's protocol engine (handshake actors on the engine clock). */
  protocol?: ProtocolEngine;
  /** Tags of the tag set (all hardware queues). */
  tags: number;
  /** Largest request in bytes (max_hw_sectors × 512). */
  maxIo: number;
  /** How many times a request may be requeued after connection loss (default 8). */
  maxRequeues?: number;
  /** Injected bug drop-acked-write (hw-sim/engine/bugs.ts): acknowledge this write without sending it. */
  dropWrite?: (offset: number, length: number) => boolean;
}

/**
 * One NBD block device (nbdN): the device statechart, the managers, and the request path.
 * blk-mq calls the io path's ops (driver.ts binds them); management commands call the methods below.
 */
export class NbdDevice implements ConnectionOwner {
  readonly actor: Actor<typeof deviceMachine>;
  readonly conns: ConnectionManager;
  readonly network: NetworkManager;
  readonly protocol: ProtocolManager;
  readonly errors: ErrorHandler;
  readonly perf: PerformanceMonitor;
  readonly security: SecurityManager;
  readonly cache: CacheManager;
  readonly lb: LoadBalancer;
  readonly io: IoPath;
  info: ExportInfo | null = null;
  /** The UDP transport (udp_enabled), else null. */
  readonly udp: UdpTransport | null = null;
  /** Every server must serve the device's one backing store (config/backend.ts). */
  readonly backends: BackendGuard;
  /** Primary and backup servers; backups carry I/O only while every primary is down. */
  readonly roles: ServerRoles;
  /** Measured outages: first failed request → I/O flowing again. */
  readonly failover: FailoverClock;
  /** Client-side mirror (an export with mode = "mirror"), else null. */
  readonly mirror: MirrorSet | null;
  /** The health probe of every server (server_health_check_interval). */
  readonly prober: HealthProber;
  private healthTimer: EventHandle | null = null;
  /** Servers that granted the checksum extension on some connection (suspect()). */
  private readonly checksumServers = new Set<number>();
  /** Publishes the rows that appear over time (connections, servers): device-stats.ts, set by the driver. */
  statsOut: { publishDynamic(): void } | null = null;
  healthChecks = 0;
  /** When the next health check runs (and dials given-up connections again); -1: none armed. */
  nextHealthCheckAt = -1;
  private disk: GenDisk | null = null;
  private readonly engine: Engine;

  constructor(readonly kernel: Kernel, readonly opts: NbdDeviceOptions) {
    const engine = kernel.engine;
    this.engine = engine;
    const cfg = opts.config;
    const name = opts.name;
    this.actor = createSimActor(engine, deviceMachine.provide({
      actions: {
        failed: ({ context }) => {
          this.io.accepting = false;
          this.io.failAll(context.errno || EIO);
          this.conns.killAll(`device failed: ${context.reason}`);
        },
      },
    }), { name });
    this.backends = new BackendGuard(name, cfg.backend);
    this.errors = new ErrorHandler(engine, `${name}/errors`, opts.maxRequeues ?? 8);
    this.perf = new PerformanceMonitor(engine);
    this.security = new SecurityManager(engine, kernel.host, cfg);
    const cpu = kernel.hw.cpu;
    this.cache = new CacheManager(engine, {
      capacityBytes: cfg.localCacheBytes, readAheadBytes: cfg.readAheadBytes, writeBack: cfg.writeBackCache, writeBackBytes: cfg.writeBackCacheBytes,
      tags: opts.tags, maxIo: opts.maxIo,
      // Cache hits and absorbed writes cost CPU on the core the submitter runs on.
      cpu: (ns, fn) => { cpu.run(kernel.ctx.cpu, ns, fn, 'nbd.cache'); },
    });
    this.lb = new LoadBalancer(cfg.loadBalancing && cfg.serverLoadBalancing ? 'round-robin' : 'single');
    this.lb.failover = cfg.failoverEnabled && cfg.serverFailoverEnabled;
    this.network = new NetworkManager(() => this.io.pump());
    const mirrored = isMirror(cfg);
    this.protocol = new ProtocolManager(opts.protocol ?? new SimProtocolEngine(engine, name), opts.tags + this.cache.internalTags + RESYNC_DEPTH + 1 /* mirror resync copies, health probe */, {
      // docs/nbd-extensions.md: LZ4 first (fast), DEFLATE as the fallback; CRC-32C.
      ...(cfg.compressionEnabled ? { compression: [NBD_ORION_COMPRESS_LZ4, NBD_ORION_COMPRESS_DEFLATE] } : {}),
      ...(cfg.checksumEnabled ? { checksum: [NBD_ORION_CHECKSUM_CRC32C] } : {}),
      ...(cfg.extendedHeaders ? { extendedHeaders: true } : {}),
      ...(cfg.udpEnabled ? { udpTransport: true } : {}),
    });
    if (cfg.udpEnabled) {
      this.udp = new UdpTransport(engine, opts.sockets, {
        serverOf: (slot) => { const c = this.conns.servers[slot.server]!.cfg; return c.address ?? c.name; },
        onRoom: () => this.io.pump(),
      });
      this.protocol.datagrams = this.udp;
    }
    this.io = new IoPath(engine, {
      src: name, tags: opts.tags, maxIo: opts.maxIo, deadConnTimeoutNs: cfg.deadConnTimeoutNs,
      ...(opts.dropWrite ? { dropWrite: opts.dropWrite } : {}),
    }, this.lb, this.network, this.cache, this.perf, this.errors);
    this.io.access = this.security;
    this.io.connIdle = (slot) => this.conns.send(slot.index, { type: 'DRAINED' });
    this.io.watchdog = new SilenceWatch(engine, cfg.deadConnTimeoutNs, this);
    this.conns = new ConnectionManager(engine, name, cfg, opts.sockets, this.protocol, this.network, this.security, this);
    this.io.conns = this.conns.slots;
    this.roles = new ServerRoles(cfg.failoverEnabled && cfg.serverFailoverEnabled, engine.bugs);
    this.mirror = mirrored
      ? new MirrorSet(engine, { src: name, regionBytes: cfg.resyncRegionBytes, rateBps: cfg.resyncRateBps, resyncTag: opts.tags + this.cache.internalTags }, {
        conns: this.conns.slots,
        sendOn: (c, slot) => this.io.sendOn(c, slot),
        complete: (r, errno, server) => this.io.completeMirrored(r, errno, server),
        present: (i) => this.conns.servers[i] !== undefined && !this.conns.servers[i]!.removed,
      })
      : null;
    this.io.mirror = this.mirror;
    this.prober = new HealthProber(engine, {
      src: name, timeoutNs: cfg.serverHealthProbeTimeoutNs, downAfter: cfg.serverHealthDownAfter, upAfter: cfg.serverHealthUpAfter, tag: opts.tags + this.cache.internalTags + RESYNC_DEPTH,
    }, {
      conns: this.conns.slots,
      sendOn: (c, slot) => this.io.sendOn(c, slot),
      verdict: (h) => { this.lb.reportHealth(h); this.updateRoles(); this.refreshAvoided(); this.io.pump(); },
    });
    this.io.probes = this.prober;
    const mirror = this.mirror;
    // A mirror reads only from replicas that hold every acknowledged write.
    this.lb.gate = mirror ? new BothGates(this.roles, mirror) : this.roles;
    this.failover = new FailoverClock(engine, name);
    this.io.failover = this.failover;
    wireManagers(this);
    this.actor.subscribe((snap) => this.onDeviceState(snap.value as DeviceStateName));
    this.actor.start();
  }

  get state(): DeviceStateName {
    return this.actor.getSnapshot().value as DeviceStateName;
  }

  /** Virtual time now (for management commands). */
  get now(): number {
    return this.engine.now;
  }

  get failureReason(): string {
    return this.actor.getSnapshot().context.reason;
  }

  /** Binds the gendisk registered for this device and starts connecting to the configured servers. */
  attach(disk: GenDisk): void {
    this.disk = disk;
    this.io.disk = disk;
    const servers = this.opts.config.servers;
    if (servers.length === 0) throw new Error(`${this.opts.name}: [nbd] lists no servers`);
    this.actor.send({ type: 'CONFIGURE', wanted: servers.length });
    for (const s of servers) {
      const i = this.conns.addServer(s).index;
      this.roles.set(i, s.role ?? 'primary');
      this.mirror?.mirror.addReplica(i, 0);
    }
    this.io.connectivity();
    this.armHealthCheck();
  }

  /** blk_mq_ops.timeout. */
  timeout(rq: Request): TimeoutAction {
    return this.io.timeout(rq);
  }

  /**
   * The client host crashed: the cache's memory (dirty data included) and its own commands are
   * gone, every connection drops; they reconnect once the host is up (`clientRestart`). Block requests in
   * flight are sent again then (the simulated workloads outlive the crash).
   */
  clientCrash(): void {
    this.cache.crash();
    this.conns.killAll('client host crashed');
    this.io.dropCacheCmds();
  }

  /** The client host is up again: dead connections reconnect, closed ones are replaced (those in backoff retry by themselves). */
  clientRestart(): void {
    this.conns.reviveDead();
    // A connection killed while it was connecting closed for good: open fresh ones.
    this.conns.reopen();
  }

  /** Orderly teardown: drain every connection, then disconnected. */
  disconnect(): void {
    this.actor.send({ type: 'DISCONNECT' });
    this.conns.stopAll();
    this.engine.cancel(this.healthTimer);
    this.healthTimer = null;
    this.nextHealthCheckAt = -1;
  }

  /** nbd-connection-reset: kill one connection (or all) so it reconnects; a failed device tries again. */
  resetConnection(conn?: number): void {
    if (this.state === 'failed') {
      this.actor.send({ type: 'RESET' });
      this.conns.reopen();
      this.changed();
      return;
    }
    if (conn === undefined) this.conns.killAll('reset by management command');
    else this.conns.send(conn, { type: 'KILL', reason: 'reset by management command' });
    this.conns.reviveDead();
  }

  removeConnection(conn: number): void {
    this.conns.send(conn, { type: 'DRAIN' });
  }

  addServer(s: NbdServerConfig): void {
    const conflict = this.mirror ? '' : this.backends.conflict(s.name, s.backend);
    if (conflict !== '') throw new Error(conflict);
    const i = this.conns.addServer(s).index;
    this.roles.set(i, s.role ?? 'primary');
    this.mirror?.mirror.addReplica(i, this.io.exportBytes);
    this.changed();
  }

  removeServer(name: string): void {
    const s = this.conns.servers.find((x) => !x.removed && x.cfg.name === name);
    const refused = s && this.mirror ? this.mirror.mirror.removalRefused(s.index) : '';
    if (refused !== '') throw new Error(`${this.opts.name}: server '${name}' cannot be removed: ${refused}`);
    this.conns.removeServer(name);
    this.changed();
  }

  setPolicy(p: LbPolicy): void {
    this.lb.policy = p;
  }

  // ---- ConnectionOwner -------------------------------------------------------------------

  up(slot: ConnectionSlot): void {
    this.perf.connects++;
    this.updateRoles();
    this.mirror?.up(slot);
    this.io.pump();
  }

  lost(slot: ConnectionSlot, reason: string): void {
    this.perf.disconnects++;
    slot.errors++;
    this.cache.connectionLost();
    this.updateRoles();
    if (slot.outstanding > 0) this.failover.failed(Math.min(slot.lastRxAt, this.engine.now));
    this.mirror?.connectionLost(slot);
    this.prober.connectionLost(slot);
    this.io.requeueConnection(slot, reason);
    this.io.pump();
  }

  checksumExpected(slot: ConnectionSlot): boolean {
    return this.opts.config.checksumEnabled && this.checksumServers.has(slot.server);
  }

  negotiated(slot: ConnectionSlot, info: ExportInfo): string {
    if (info.checksum) this.checksumServers.add(slot.server);
    const server = this.conns.servers[slot.server]!.cfg;
    if (!this.opts.config.tcpEnabled && !info.udp) {
      return `server '${server.name}' does not grant the UDP transport (NBD_OPT_ORION_UDP_TRANSPORT refused) and tcp_enabled = false`;
    }
    // A mirror's replicas are distinct stores by design: the driver keeps them equal.
    // Injected backend-check-skipped: whatever store a server advertises, it is taken.
    const skip = this.mirror !== null || this.engine.bugs.has('backend-check-skipped');
    const mixed = skip ? '' : this.backends.admit(server.name, server.backend, backendOfDescription(info.description));
    if (mixed !== '') return mixed;
    if (this.info && info.size !== this.info.size) {
      return `export size mismatch: conn${slot.index} offers ${info.size} bytes, the device has ${this.info.size}`;
    }
    if (!this.info) {
      this.info = info;
      const io = this.io;
      io.exportName = info.name;
      io.canFlush = info.canFlush; io.canFua = info.canFua; io.canTrim = info.canTrim;
      io.canWriteZeroes = info.canWriteZeroes; io.canCache = info.canCache; io.readOnly = info.readOnly;
      io.exportBytes = info.size;
      if (this.mirror) this.mirror.resync.exportBytes = info.size;
      if (this.disk) this.disk.capacitySectors = Math.floor(info.size / 512);
      this.actor.send({ type: 'NEGOTIATED', size: info.size });
    }
    return '';
  }

  refused(slot: ConnectionSlot, reason: string, errno: number): void {
    this.errors.fault('handshake', slot.index, slot.server, errno, reason);
    // The device chart decides: it fails when no connection is left to carry I/O.
    this.actor.send({ type: 'CONN_REFUSED', conn: slot.index, reason, errno });
  }

  handshakeBroken(slot: ConnectionSlot, reason: string): void {
    // Like a protocol violation in transmission: the connection is dropped and retried after backoff.
    this.errors.fault('protocol', slot.index, slot.server, 0, reason);
  }

  bindReplies(slot: ConnectionSlot, info: ExportInfo): void {
    const sink = this.io.replySink(
      slot,
      (reason) => this.errors.fault('protocol', slot.index, slot.server, 0, reason),
      () => this.conns.send(slot.index, { type: 'SHUTDOWN' }),
    );
    this.protocol.beginTransmission(slot, info, sink, (b, more) => this.network.send(slot, b, more));
  }

  closing(slot: ConnectionSlot): void {
    if (slot.transmission && slot.socket) {
      slot.transmission.disconnect();
      this.network.uncork(slot);
    }
  }

  /** A connection entered a new phase: the device chart gets the raw fact and decides. */
  phaseChanged(slot: ConnectionSlot): void {
    this.actor.send({ type: 'CONN_PHASE', conn: slot.index, phase: slot.phase, wanted: this.conns.wanted });
    this.changed();
  }

  changed(): void {
    this.updateRoles();
    this.mirror?.changed();
    this.refreshAvoided();
    this.statsOut?.publishDynamic();
    this.io.connectivity();
    this.actor.send({ type: 'POOL', wanted: this.conns.wanted });
    for (const c of this.conns.slots) if (c.phase === 'draining' && c.outstanding === 0) this.conns.send(c.index, { type: 'DRAINED' });
  }

  // ---- internals -------------------------------------------------------------------------

  /** Whether a primary is up (backups stand by): usable, not removed, not marked unhealthy by the probe. */
  private updateRoles(): void {
    this.roles.update(this.conns.slots, (i) => this.conns.servers[i]!.removed, (i) => this.prober.unhealthy(i));
  }

  private onDeviceState(st: DeviceStateName): void {
    this.io.accepting = st === 'connecting' || st === 'negotiating' || st === 'ready' || st === 'degraded';
  }

  /**
   * The load balancer avoids servers the probe marked unhealthy, but only while some healthy
   * server has a usable connection (never leave the device with nothing to send to).
   */
  private refreshAvoided(): void {
    const avoided = this.lb.avoided;
    avoided.clear();
    const sick = (s: number) => this.prober.unhealthy(s);
    if (!this.conns.slots.some((c) => c.usable && !sick(c.server) && this.roles.allows(c) && (this.mirror === null || this.mirror.readable(c.server)))) return;
    for (const s of this.conns.servers) if (sick(s.index)) avoided.add(s.index);
  }

  /**
   * server_health_check_interval: probe every server (health/probe.ts) and dial given-up
   * connections again so a returning server is used again — also while the device is still
   * connecting (its servers were all down when it was configured).
   */
  private armHealthCheck(): void {
    const every = this.opts.config.serverHealthCheckIntervalNs;
    this.nextHealthCheckAt = this.engine.now + every;
    this.healthTimer = this.engine.schedule(every, () => {
      this.healthTimer = null;
      this.nextHealthCheckAt = -1;
      this.healthChecks++;
      const st = this.state;
      if (st === 'ready' || st === 'degraded') this.prober.tick(this.conns.servers.length, (i) => this.conns.servers[i]!.removed);
      const redial = st === 'ready' || st === 'degraded' || st === 'connecting' || st === 'negotiating';
      if (redial && !this.engine.bugs.has('given-up-never-redialled')) this.conns.reviveDead();
      if (st !== 'disconnected' && st !== 'disconnecting') this.armHealthCheck();
    }, 'nbd.health_check');
  }


}
