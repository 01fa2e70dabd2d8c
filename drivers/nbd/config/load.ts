import { ConfigError, formatKeyPath, type KeyPath } from './errors.ts';
import { firstProblem } from './issues.ts';
import { nbdSectionSchema, type NbdSectionParsed } from './schema.ts';
import type { NbdConfig } from './types.ts';

function normalise(s: NbdSectionParsed): NbdConfig {
  const exports =
    s.exports?.map((e) => ({ name: e.name, device: e.device, access: e.access, mode: e.mode })) ??
    [...new Set(s.servers.map((sv) => sv.export))].map((n) => ({ name: n, device: undefined, access: 'rw' as const, mode: 'shared' as const }));
  return {
    connectionMaxCount: s.connection_max_count,
    connectionPoolSize: s.connection_pool_size,
    connectionTimeoutNs: s.connection_timeout,
    connectionRetryCount: s.connection_retry_count,
    serverMaxCount: s.server_max_count,
    serverLoadBalancing: s.server_load_balancing,
    serverFailoverEnabled: s.server_failover_enabled,
    serverHealthCheckIntervalNs: s.server_health_check_interval,
    serverHealthProbeTimeoutNs: s.server_health_probe_timeout,
    serverHealthDownAfter: s.server_health_down_after,
    serverHealthUpAfter: s.server_health_up_after,
    readAheadBytes: s.read_ahead_size,
    writeBackCache: s.write_back_cache,
    writeBackCacheBytes: s.write_back_cache_size,
    localCacheBytes: s.local_cache_size,
    compressionEnabled: s.compression_enabled,
    checksumEnabled: s.checksum_enabled,
    extendedHeaders: s.extended_headers,
    tcpEnabled: s.tcp_enabled,
    udpEnabled: s.udp_enabled,
    connectionPooling: s.connection_pooling,
    loadBalancing: s.load_balancing,
    failoverEnabled: s.failover_enabled,
    deadConnTimeoutNs: s.dead_conn_timeout,
    requestTimeoutNs: s.request_timeout,
    reconnect: { baseNs: s.reconnect.base, capNs: s.reconnect.cap, jitter: s.reconnect.jitter },
    tls: s.tls && { pskHex: s.tls.psk.toLowerCase(), identity: s.tls.identity, required: s.tls.required },
    backend: s.backend,
    resyncRateBps: (s.resync_rate ?? 512e6) / 8,
    resyncRegionBytes: s.resync_region_size ?? 64 * 1024,
    servers: s.servers.map((sv) => ({ name: sv.name, address: sv.address, port: sv.port, export: sv.export, backend: sv.backend, role: sv.role })),
    exports,
  };
}

export interface ConfigSource {
  /** File name for messages. */
  file: string;
  /** Finds the line of a key path in the source text (the caller parsed the file), when known. */
  locate?: (path: KeyPath) => number | undefined;
  /** Where the section sits in the document, e.g. ['nbd']. */
  at?: KeyPath;
}

/**
 * Validates an already parsed `[nbd]` table (e.g. from a scenario file) into an NbdConfig.
 * Throws ConfigError naming the file, the key path and the reason (and the line when known).
 */
export function nbdConfigFromTable(section: unknown, src: ConfigSource): NbdConfig {
  const at = src.at ?? ['nbd'];
  const inert = inertKey(section);
  if (inert) throw new ConfigError(src.file, formatKeyPath([...at, inert.key]), inert.reason, src.locate?.([...at, inert.key]));
  const r = nbdSectionSchema.safeParse(section ?? {});
  if (r.success) return normalise(r.data);
  const p = firstProblem(r.error, section, at);
  const line = src.locate?.(p.path);
  throw new ConfigError(src.file, formatKeyPath(p.path), p.reason, line);
}

/**
 * A key given in the table that the rest of it would leave without effect (a key acts or is
 * refused): the write-back cache's size without the write-back cache, a pool size with pooling off.
 * Judged on the table as written, since a default cannot be told from a value once parsed.
 */
function inertKey(section: unknown): { key: string; reason: string } | null {
  if (typeof section !== 'object' || section === null) return null;
  const t = section as Record<string, unknown>;
  if (t['write_back_cache_size'] !== undefined && (t['write_back_cache'] === undefined || t['write_back_cache'] === false)) {
    return { key: 'write_back_cache_size', reason: 'sizes the write-back cache, which is off: set write_back_cache = true, or remove write_back_cache_size' };
  }
  if (t['connection_pool_size'] !== undefined && t['connection_pool_size'] !== 1 && t['connection_pooling'] === false) {
    return { key: 'connection_pool_size', reason: 'connection_pooling = false keeps one connection per device: remove connection_pool_size, or set connection_pooling = true' };
  }
  return null;
}

/** The spec's defaults, as NbdConfig (no servers). */
export function defaultNbdConfig(): NbdConfig {
  return nbdConfigFromTable({}, { file: '<defaults>' });
}
