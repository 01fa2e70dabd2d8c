import { publishCacheStats } from './cache/cache-stats.ts';
import { publishUdpStats } from './transport/udp-stats.ts';
import type { StatsTree } from '../../kernel/core/stats.ts';
import type { NbdDevice } from './device.ts';
import { formatNs } from '../../hw-sim/engine/index.ts';

/**
 * Everything management commands read about a device, in the kernel stats tree under
 * `block/<name>/`: device state, per-connection and per-server rows, cache, network, load
 * balancer, errors and latency percentiles. Values are read on demand; nothing is copied per request.
 */
export class DeviceStats {
  constructor(private readonly dev: NbdDevice, private readonly stats: StatsTree) {
    this.publishStatic(stats);
  }

  private publishedConns = 0;
  private publishedServers = 0;

  /** Connections and servers appear over time: publish each once, as it comes. */
  publishDynamic(): void {
    const stats = this.stats;
    const p = `block/${this.dev.opts.name}`;
    for (; this.publishedServers < this.dev.conns.servers.length; this.publishedServers++) {
      const s = this.dev.conns.servers[this.publishedServers]!;
      const q = `${p}/server/${s.index}`;
      stats.gauge(`${q}/name`, () => s.cfg.name);
      stats.gauge(`${q}/address`, () => s.cfg.address ?? s.cfg.name);
      stats.gauge(`${q}/port`, () => s.cfg.port);
      stats.gauge(`${q}/export`, () => s.cfg.export);
      stats.gauge(`${q}/multi_conn`, () => (s.multiConn === undefined ? 'unknown' : s.multiConn));
      stats.gauge(`${q}/removed`, () => s.removed);
      stats.gauge(`${q}/role`, () => this.dev.roles.roleOf(s.index));
      // down: no usable connection (given-up / refused: none is even trying, they ran out of
      // reconnect attempts / were refused; the next health check dials them again); unhealthy:
      // the health probe's verdict (health/probe.ts).
      const slotsOf = () => s.conns.map((i) => this.dev.conns.slots[i]!);
      const stopped = () => this.dev.conns.stopped(s);
      stats.gauge(`${q}/health`, () => (s.removed ? 'removed' : !slotsOf().some((c) => c.usable) ? (stopped() ?? 'down') : this.dev.prober.unhealthy(s.index) ? 'unhealthy' : 'up'));
      // Why it is down (its connections' last failure), and when a given-up server is dialled again.
      stats.gauge(`${q}/down_reason`, () => (s.removed || slotsOf().some((c) => c.usable) ? '' : slotsOf().map((c) => c.lastReason).find((r) => r !== '') ?? ''));
      stats.gauge(`${q}/redial_at`, () => (stopped() !== null && this.dev.nextHealthCheckAt >= 0 ? formatNs(this.dev.nextHealthCheckAt) : '-'));
      stats.gauge(`${q}/probes`, () => this.dev.prober.stateOf(s.index)?.probes ?? 0);
      stats.gauge(`${q}/probe_failures`, () => this.dev.prober.stateOf(s.index)?.failed ?? 0);
      stats.gauge(`${q}/probe_rtt_ns`, () => this.dev.prober.stateOf(s.index)?.lastRttNs ?? 0);
      // Carrying I/O now: a backup only while every primary is down.
      stats.gauge(`${q}/carrying`, () => !s.removed && s.conns.some((i) => { const c = this.dev.conns.slots[i]!; return c.usable && this.dev.lb.allowed(c); }));
      stats.gauge(`${q}/backend`, () => s.cfg.backend ?? this.dev.backends.backend ?? '');
      stats.gauge(`${q}/connections`, () => s.conns.length);
      stats.gauge(`${q}/live`, () => s.conns.filter((i) => this.dev.conns.slots[i]!.usable).length);
      stats.gauge(`${q}/lat_p50_ns`, () => this.dev.perf.byServer[s.index]?.percentile(50) ?? 0);
      stats.gauge(`${q}/lat_p99_ns`, () => this.dev.perf.byServer[s.index]?.percentile(99) ?? 0);
      stats.gauge(`${q}/completed`, () => this.dev.perf.byServer[s.index]?.count ?? 0);
      // Mirror devices: the replica's sync state, its dirty bitmap and resync progress ('-' when shared).
      const rep = () => this.dev.mirror?.mirror.replicas[s.index];
      stats.gauge(`${q}/sync`, () => rep()?.state ?? '-');
      stats.gauge(`${q}/dirty_regions`, () => rep()?.dirty.size ?? 0);
      stats.gauge(`${q}/resync_pct`, () => { const r = rep(); return r ? Math.floor(r.progress * 100) : '-'; });
      stats.gauge(`${q}/resynced_bytes`, () => rep()?.resyncedBytes ?? 0);
      stats.gauge(`${q}/dropouts`, () => rep()?.dropouts ?? 0);
    }
    for (; this.publishedConns < this.dev.conns.slots.length; this.publishedConns++) {
      const c = this.dev.conns.slots[this.publishedConns]!;
      const q = `${p}/conn/${c.index}`;
      stats.gauge(`${q}/server`, () => this.dev.conns.servers[c.server]!.cfg.name);
      stats.gauge(`${q}/state`, () => c.phase);
      stats.gauge(`${q}/outstanding`, () => c.outstanding);
      stats.gauge(`${q}/sent`, () => c.requestsSent);
      stats.gauge(`${q}/replies`, () => c.repliesReceived);
      stats.gauge(`${q}/bytes_sent`, () => c.bytesSent);
      stats.gauge(`${q}/bytes_received`, () => c.bytesReceived);
      stats.gauge(`${q}/backlog`, () => this.dev.network.held(c));
      stats.gauge(`${q}/reconnects`, () => c.reconnects);
      stats.gauge(`${q}/errors`, () => c.errors);
      stats.gauge(`${q}/tls`, () => c.tls?.open ?? false);
      stats.gauge(`${q}/reason`, () => c.lastReason);
      stats.gauge(`${q}/lb_picks`, () => this.dev.lb.picks[c.index] ?? 0);
      stats.gauge(`${q}/lat_p50_ns`, () => this.dev.perf.byConn[c.index]?.percentile(50) ?? 0);
      stats.gauge(`${q}/lat_p99_ns`, () => this.dev.perf.byConn[c.index]?.percentile(99) ?? 0);
    }
  }

  /** Device-wide values, published once at creation. */
  private publishStatic(stats: StatsTree): void {
    const p = `block/${this.dev.opts.name}`;
    stats.gauge(`${p}/state`, () => this.dev.state);
    stats.gauge(`${p}/reason`, () => this.dev.failureReason);
    stats.gauge(`${p}/size`, () => this.dev.info?.size ?? 0);
    stats.gauge(`${p}/inflight`, () => this.dev.io.inflight);
    stats.gauge(`${p}/waiting`, () => this.dev.io.waitingCount);
    stats.gauge(`${p}/completed`, () => this.dev.io.completed);
    stats.gauge(`${p}/connections/live`, () => this.dev.conns.live);
    stats.gauge(`${p}/connections/wanted`, () => this.dev.conns.wanted);
    stats.gauge(`${p}/errors/requeued`, () => this.dev.errors.requeued);
    stats.gauge(`${p}/errors/failed`, () => this.dev.errors.failed);
    stats.gauge(`${p}/net/batches`, () => this.dev.network.batches);
    stats.gauge(`${p}/net/short_sends`, () => this.dev.network.shortSends);
    stats.gauge(`${p}/lb/policy`, () => this.dev.lb.policy);
    stats.gauge(`${p}/lb/decisions`, () => this.dev.lb.decisionsMade);
    publishCacheStats(this.dev.cache, stats, `${p}/cache`);
    stats.gauge(`${p}/net/bytes_sent`, () => this.dev.conns.slots.reduce((n, c) => n + c.bytesSent, 0));
    stats.gauge(`${p}/net/bytes_received`, () => this.dev.conns.slots.reduce((n, c) => n + c.bytesReceived, 0));
    stats.gauge(`${p}/net/backlog_bytes`, () => this.dev.conns.slots.reduce((n, c) => n + this.dev.network.held(c), 0));
    stats.gauge(`${p}/net/tls_handshakes`, () => this.dev.security.handshakes);
    stats.gauge(`${p}/net/tls_failures`, () => this.dev.security.handshakeFailures);
    // Payload frames (docs/nbd-extensions.md): raw vs wire payload bytes, checksum failures and retries.
    const fc = this.dev.protocol.frameCounters;
    if (fc) {
      stats.gauge(`${p}/net/payload_raw_sent`, () => fc.txRawBytes);
      stats.gauge(`${p}/net/payload_wire_sent`, () => fc.txWireBytes);
      stats.gauge(`${p}/net/payload_raw_received`, () => fc.rxRawBytes);
      stats.gauge(`${p}/net/payload_wire_received`, () => fc.rxWireBytes);
      stats.gauge(`${p}/net/checksum_failures`, () => fc.checksumFailures);
      stats.gauge(`${p}/net/header_checksum_failures`, () => fc.headerChecksumFailures);
      stats.gauge(`${p}/net/checksum_retries`, () => fc.checksumRetries);
    }
    // The UDP transport (docs/nbd-extensions.md): datagrams, retransmissions, duplicates, window.
    if (this.dev.udp) publishUdpStats(this.dev.udp, stats, `${p}/net/udp`);
    stats.gauge(`${p}/errors/transport`, () => this.dev.errors.counts.transport);
    stats.gauge(`${p}/errors/protocol`, () => this.dev.errors.counts.protocol);
    stats.gauge(`${p}/errors/timeout`, () => this.dev.errors.counts.timeout);
    stats.gauge(`${p}/errors/nbd_errno`, () => this.dev.errors.counts['nbd-errno']);
    stats.gauge(`${p}/errors/dead_conn`, () => this.dev.errors.counts['dead-conn']);
    stats.gauge(`${p}/errors/handshake`, () => this.dev.errors.counts.handshake);
    stats.gauge(`${p}/lb/health_checks`, () => this.dev.healthChecks);
    const m = this.dev.mirror;
    if (m) {
      stats.gauge(`${p}/mirror/in_sync`, () => m.mirror.inSync);
      stats.gauge(`${p}/mirror/fanouts`, () => m.mirror.fanouts);
      stats.gauge(`${p}/mirror/legs_sent`, () => m.mirror.legsSent);
      stats.gauge(`${p}/mirror/legs_requeued`, () => m.mirror.legsRequeued);
      stats.gauge(`${p}/mirror/resync_bytes`, () => m.resync.bytes);
      stats.gauge(`${p}/mirror/resync_restarts`, () => m.resync.restarts);
      stats.gauge(`${p}/mirror/resync_rate_bps`, () => m.resync.rateBps);
    }
    this.dev.perf.publish(stats, `${p}/perf`);
  }
}
