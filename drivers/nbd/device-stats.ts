import type { NbdDevice } from './device.ts';
import type { StatsPublisher } from './ports.ts';

/**
 * Everything management commands read about a device, in the kernel stats tree under
 * `block/<name>/`: device state, per-connection and per-server rows, cache, network, load
 * balancer, errors and latency percentiles. Values are read on demand; nothing is copied per request.
 */
export class DeviceStats {
  constructor(private readonly dev: NbdDevice, private readonly stats: StatsPublisher) {
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
      stats.publish(`${q}/name`, () => s.cfg.name);
      stats.publish(`${q}/address`, () => s.cfg.address ?? s.cfg.name);
      stats.publish(`${q}/port`, () => s.cfg.port);
      stats.publish(`${q}/export`, () => s.cfg.export);
      stats.publish(`${q}/multi_conn`, () => (s.multiConn === undefined ? 'unknown' : s.multiConn));
      stats.publish(`${q}/removed`, () => s.removed);
      stats.publish(`${q}/connections`, () => s.conns.length);
      stats.publish(`${q}/live`, () => s.conns.filter((i) => this.dev.conns.slots[i]!.usable).length);
      stats.publish(`${q}/lat_p50_ns`, () => this.dev.perf.byServer[s.index]?.percentile(50) ?? 0);
      stats.publish(`${q}/lat_p99_ns`, () => this.dev.perf.byServer[s.index]?.percentile(99) ?? 0);
      stats.publish(`${q}/completed`, () => this.dev.perf.byServer[s.index]?.count ?? 0);
    }
    for (; this.publishedConns < this.dev.conns.slots.length; this.publishedConns++) {
      const c = this.dev.conns.slots[this.publishedConns]!;
      const q = `${p}/conn/${c.index}`;
      stats.publish(`${q}/server`, () => this.dev.conns.servers[c.server]!.cfg.name);
      stats.publish(`${q}/state`, () => c.phase);
      stats.publish(`${q}/outstanding`, () => c.outstanding);
      stats.publish(`${q}/sent`, () => c.requestsSent);
      stats.publish(`${q}/replies`, () => c.repliesReceived);
      stats.publish(`${q}/bytes_sent`, () => c.bytesSent);
      stats.publish(`${q}/bytes_received`, () => c.bytesReceived);
      stats.publish(`${q}/backlog`, () => c.backlog);
      stats.publish(`${q}/reconnects`, () => c.reconnects);
      stats.publish(`${q}/errors`, () => c.errors);
      stats.publish(`${q}/tls`, () => c.tls?.open ?? false);
      stats.publish(`${q}/reason`, () => c.lastReason);
      stats.publish(`${q}/lb_picks`, () => this.dev.lb.picks[c.index] ?? 0);
      stats.publish(`${q}/lat_p50_ns`, () => this.dev.perf.byConn[c.index]?.percentile(50) ?? 0);
      stats.publish(`${q}/lat_p99_ns`, () => this.dev.perf.byConn[c.index]?.percentile(99) ?? 0);
    }
  }

  /** Device-wide values, published once at creation. */
  private publishStatic(stats: StatsPublisher): void {
    const p = `block/${this.dev.opts.name}`;
    stats.publish(`${p}/state`, () => this.dev.state);
    stats.publish(`${p}/reason`, () => this.dev.failureReason);
    stats.publish(`${p}/size`, () => this.dev.info?.size ?? 0);
    stats.publish(`${p}/inflight`, () => this.dev.io.table.inflight);
    stats.publish(`${p}/waiting`, () => this.dev.io.waitingCount);
    stats.publish(`${p}/completed`, () => this.dev.io.completed);
    stats.publish(`${p}/connections/live`, () => this.dev.conns.live);
    stats.publish(`${p}/connections/wanted`, () => this.dev.conns.wanted);
    stats.publish(`${p}/errors/requeued`, () => this.dev.errors.requeued);
    stats.publish(`${p}/errors/failed`, () => this.dev.errors.failed);
    stats.publish(`${p}/net/batches`, () => this.dev.network.batches);
    stats.publish(`${p}/net/short_sends`, () => this.dev.network.shortSends);
    stats.publish(`${p}/lb/policy`, () => this.dev.lb.policy);
    stats.publish(`${p}/lb/decisions`, () => this.dev.lb.decisionsMade);
    const cache = this.dev.cache;
    stats.publish(`${p}/cache/mode`, () => cache.stats().mode);
    stats.publish(`${p}/cache/read_hits`, () => cache.stats().readHits);
    stats.publish(`${p}/cache/read_misses`, () => cache.stats().readMisses);
    stats.publish(`${p}/cache/read_ahead_hits`, () => cache.stats().readAheadHits);
    stats.publish(`${p}/cache/dirty_bytes`, () => cache.stats().dirtyBytes);
    stats.publish(`${p}/cache/capacity_bytes`, () => cache.capacityBytes);
    stats.publish(`${p}/cache/read_ahead_bytes`, () => cache.readAheadBytes);
    stats.publish(`${p}/cache/write_back_bytes`, () => cache.writeBackBytes);
    stats.publish(`${p}/cache/flushes`, () => cache.stats().flushes);
    stats.publish(`${p}/net/bytes_sent`, () => this.dev.conns.slots.reduce((n, c) => n + c.bytesSent, 0));
    stats.publish(`${p}/net/bytes_received`, () => this.dev.conns.slots.reduce((n, c) => n + c.bytesReceived, 0));
    stats.publish(`${p}/net/backlog_bytes`, () => this.dev.conns.slots.reduce((n, c) => n + c.backlog, 0));
    stats.publish(`${p}/net/tls_handshakes`, () => this.dev.security.handshakes);
    stats.publish(`${p}/net/tls_failures`, () => this.dev.security.handshakeFailures);
    stats.publish(`${p}/errors/transport`, () => this.dev.errors.counts.transport);
    stats.publish(`${p}/errors/protocol`, () => this.dev.errors.counts.protocol);
    stats.publish(`${p}/errors/timeout`, () => this.dev.errors.counts.timeout);
    stats.publish(`${p}/errors/nbd_errno`, () => this.dev.errors.counts['nbd-errno']);
    stats.publish(`${p}/errors/dead_conn`, () => this.dev.errors.counts['dead-conn']);
    stats.publish(`${p}/errors/handshake`, () => this.dev.errors.counts.handshake);
    stats.publish(`${p}/lb/health_checks`, () => this.dev.healthChecks);
    this.dev.perf.publish(stats, `${p}/perf`);
  }
}
