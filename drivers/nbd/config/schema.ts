import { z } from 'zod';
import { mixedBackend } from './backend.ts';
import { duration, fraction, int, rate, size } from './fields.ts';

/** Spec limits ("Scalability Metrics"): 64 connections, 16 servers, 512 MB local cache. */
export const NBD_LIMITS = {
  connectionMaxCount: 64,
  serverMaxCount: 16,
  localCacheBytes: 512 * 2 ** 20,
} as const;

export const NBD_DEFAULT_PORT = 10809;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const name = () => z.string().regex(NAME, 'must be a name of letters, digits, "_", "." or "-"');

/** A backend identity: what store a server's export is (docs/nbd-extensions.md, "Backend identity"). */
const backendId = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, 'must be letters, digits, "_", ".", ":", "/" or "-"');

const serverSchema = z.strictObject({
  name: name().describe('Name of the server: a [[server]] host in a scenario.'),
  /** IPv4 address or host name; in the simulator a scenario host name resolves on its own. */
  address: z.string().min(1).optional().describe('IPv4 address or host name (default: the name).'),
  port: int(1, 65535).default(NBD_DEFAULT_PORT).describe('TCP port of the NBD server.'),
  /** Export to attach on this server; "" is the server's default export. */
  export: z.string().default('').describe('Export to attach on this server ("" is the server\'s default export).'),  backend: backendId().optional().describe('Backend identity this server must serve (default: [nbd] backend); a server advertising another is refused.'),  role: z.enum(['primary', 'backup']).default('primary')
    .describe('primary carries I/O; backup only while every primary is down (needs server_failover_enabled).'),
});

const exportSchema = z.strictObject({
  name: z.string().describe('Export name.'),
  /** Block device the export becomes, e.g. "nbd0". */
  device: z.string().regex(/^nbd[0-9]+$/, 'must be nbdN').optional().describe('Block device the export becomes, e.g. "nbd0" (default: nbdK for the K-th export).'),
  /** Permission per export (SecurityManager): "rw" or "ro". */
  access: z.enum(['rw', 'ro']).default('rw').describe('Permission on the export: "rw" or "ro".'),
  /** drivers/nbd/mirror: "mirror" writes to every in-sync replica (each server its own disk). */
  mode: z.enum(['shared', 'mirror']).default('shared')
    .describe('shared: every server of the device serves one store (a shared volume); mirror: each server holds its own copy and the driver writes every write to all in-sync replicas, reads from any, and resynchronises a replica that missed writes.'),
});

const reconnectSchema = z.strictObject({
  base: duration('ms', { min: 1 }).default(100_000_000).describe('First reconnect delay; it doubles on each failed attempt.'),
  cap: duration('ms', { min: 1 }).default(10_000_000_000).describe('Longest reconnect delay.'),
  /** Fraction of each delay drawn at random (from a named RNG stream): 0.2 = from 80 % to 100 % of it. */
  jitter: fraction().default(0.2).describe('Share of each delay drawn at random: 0.2 = the delay is drawn from 80 % to 100 % of its value.'),
});

const tlsSchema = z.strictObject({
  /** Pre-shared key as hex, at least 128 bits. */
  psk: z.string().regex(/^([0-9a-fA-F]{2}){16,}$/, 'must be hex, at least 32 hex digits (128 bits)').describe('Pre-shared key, hex, at least 128 bits.'),
  identity: z.string().min(1).default('orion').describe('PSK identity sent to the server.'),
  /** Refuse to move data unless STARTTLS succeeds. */
  required: z.boolean().default(true).describe('Refuse to move data unless STARTTLS succeeds.'),
});

/** The `[nbd]` section as written in TOML: every key of the spec plus what a real driver needs. */
export const nbdSectionSchema = z
  .strictObject({
    // Connection configuration (spec).
    connection_max_count: int(1, NBD_LIMITS.connectionMaxCount).default(64).describe('Most connections the driver opens per device (spec limit 64).'),
    connection_pool_size: int(1, NBD_LIMITS.connectionMaxCount).default(16).describe('Connections per device (at most connection_max_count).'),
    /** Spec unit: milliseconds when bare; "5s" also accepted. */
    connection_timeout: duration('ms', { min: 1 }).default(30_000_000_000).describe('Time allowed to connect and finish the handshake.'),
    connection_retry_count: int(0, 1000).default(3).describe('Reconnect attempts before a connection is given up (nbd-server-info shows it given-up, with why); the next health check (server_health_check_interval) dials it again.'),
    // Server configuration (spec).
    server_max_count: int(1, NBD_LIMITS.serverMaxCount).default(16).describe('Most servers in `servers` (spec limit 16).'),
    server_load_balancing: z.boolean().default(true).describe('Spread requests over the servers of a device.'),
    server_failover_enabled: z.boolean().default(true).describe('Move a dead server\'s requests to another server of the same data.'),
    /** Spec unit: seconds when bare. */
    server_health_check_interval: duration('s', { min: 1 }).default(30_000_000_000).describe('How often every server gets a health probe (a 512-byte READ on the wire) and given-up connections are retried, so a returning server is used again.'),
    server_health_probe_timeout: duration('ms', { min: 1 }).default(5_000_000_000).describe('A health probe not answered within this is a failure.'),
    server_health_down_after: int(1, 1000).default(3).describe('Failed probes in a row that mark a server unhealthy: the load balancer sends it nothing new while a healthy server has a usable connection.'),
    server_health_up_after: int(1, 1000).default(2).describe('Answered probes in a row that mark an unhealthy server healthy again.'),
    // Performance (spec).
    read_ahead_size: size({ max: 2 ** 30 }).default(2 * 2 ** 20).describe('Largest read-ahead window of the read cache (0: no read-ahead; needs local_cache_size).'),
    // Off by default (the spec says on): a write-back cache changes what an acknowledged write
    // means (lost in a client crash until FLUSH), so scenarios ask for it; docs/cache.md.
    write_back_cache: z.boolean().default(false).describe('Acknowledge writes from the local cache and write them back later (FLUSH and FUA wait for them). Off by default: an acknowledged write is then lost in a client crash until a FLUSH.'),
    write_back_cache_size: size({ max: 2 ** 40 }).default(256 * 2 ** 20).describe('Most dirty data the write-back cache holds (writers wait beyond it); at most local_cache_size.'),
    local_cache_size: size({ max: NBD_LIMITS.localCacheBytes }).default(512 * 2 ** 20).describe('Size of the local block cache (spec limit 512 MB; 0: no cache).'),
    /** Orion compression extension (docs/nbd-extensions.md); off by default so no scenario changes. */
    compression_enabled: z.boolean().default(false).describe('Ask the server for the Orion compression extension (LZ4, else DEFLATE; a payload is compressed only when that saves bytes); refused servers run without it.'),
    /** Orion end-to-end CRC-32C extension (docs/nbd-extensions.md); off by default so no scenario changes. */
    checksum_enabled: z.boolean().default(false).describe('Ask the server for end-to-end CRC-32C over every payload (a mismatch is retried); refused servers run without it.'),
    extended_headers: z.boolean().default(false).describe('Ask for the standard NBD_OPT_EXTENDED_HEADERS (32-byte request and reply headers, 64-bit lengths, BLOCK_STATUS_EXT); a server that refuses it gets structured replies as before.'),
    // Network (spec).
    tcp_enabled: z.boolean().default(true).describe('Transmission on TCP. With udp_enabled too, TCP is the fallback when a server refuses UDP; false: a server that refuses UDP is refused.'),
    udp_enabled: z.boolean().default(false).describe('Ask every server for the Orion UDP transport (docs/nbd-extensions.md); preferred over TCP when granted. The handshake stays on TCP.'),
    connection_pooling: z.boolean().default(true).describe('Keep a pool of connections per device (off: one).'),
    load_balancing: z.boolean().default(true).describe('Spread requests over the connections of a device.'),
    failover_enabled: z.boolean().default(true).describe('Requeue a dead connection\'s requests on live connections.'),
    // What a real driver needs beyond the spec's list.
    dead_conn_timeout: duration('ms', { min: 1 }).default(30_000_000_000).describe('A connection silent this long with requests in flight is dead; a request with no live connection this long fails with EIO.'),
    request_timeout: duration('ms', { min: 1 }).default(30_000_000_000).describe('blk-mq timeout of one request.'),
    reconnect: reconnectSchema.default({ base: 100_000_000, cap: 10_000_000_000, jitter: 0.2 }).describe('Backoff between reconnect attempts.'),
    tls: tlsSchema.optional().describe('STARTTLS with a pre-shared key on every connection.'),
    backend: backendId().optional().describe('Backend identity (what store the export is) every server of the device must serve; refused on a mismatch.'),
    resync_rate: rate().optional().describe('Mirror devices: most bandwidth the background resync of a returning replica uses (default 512Mbit = 64 MB/s).'),
    resync_region_size: size({ min: 4096, max: 2 ** 30, multipleOf: 4096 }).optional().describe('Mirror devices: the dirty-region granule (one bit of the bitmap; one resync copy) (default 64KiB).'),
    servers: z.array(serverSchema).default([]).describe('Servers to attach (default in a scenario: the first export of every [[server]]).'),
    exports: z.array(exportSchema).optional().describe('Exports and the devices they become (default: one per distinct export of `servers`).'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.connection_pool_size > c.connection_max_count) {
      issue(['connection_pool_size'], `must not exceed connection_max_count (${c.connection_max_count}), got ${c.connection_pool_size}`);
    }
    if (c.servers.length > c.server_max_count) {
      issue(['servers'], `${c.servers.length} servers exceed server_max_count (${c.server_max_count})`);
    }
    if (!c.tcp_enabled && !c.udp_enabled) issue(['tcp_enabled'], 'one of tcp_enabled and udp_enabled must be true');
    // docs/nbd-extensions.md "UDP transport": datagrams carry no payload frames and no TLS records.
    if (c.udp_enabled && (c.compression_enabled || c.checksum_enabled)) issue(['udp_enabled'], 'the UDP transport carries no payload frames: set compression_enabled and checksum_enabled to false');
    if (c.udp_enabled && c.extended_headers) issue(['udp_enabled'], 'the UDP transport uses 28-byte request headers: set extended_headers to false');
    if (c.udp_enabled && c.tls) issue(['udp_enabled'], 'the UDP transport is not encrypted: it cannot be used with tls');
    if (c.reconnect.base > c.reconnect.cap) issue(['reconnect', 'base'], 'must not exceed reconnect.cap');
    // The read-ahead and write-back caches live in the local cache: without one they could not act.
    if (c.local_cache_size < 4096 && c.read_ahead_size > 0) issue(['read_ahead_size'], `read-ahead fills the local cache: needs local_cache_size ≥ 4KiB (got ${c.local_cache_size} bytes); set read_ahead_size = 0`);
    if (c.write_back_cache && c.write_back_cache_size > c.local_cache_size) issue(['write_back_cache_size'], `dirty data lives in the local cache: must not exceed local_cache_size (${c.local_cache_size} bytes), got ${c.write_back_cache_size}`);
    if (c.write_back_cache && c.write_back_cache_size < 4096) issue(['write_back_cache_size'], `a write-back cache needs at least 4KiB, got ${c.write_back_cache_size} bytes`);
    const seen = new Set<string>();
    c.servers.forEach((s, i) => {
      if (seen.has(s.name)) issue(['servers', i, 'name'], `duplicate server name "${s.name}"`);
      seen.add(s.name);
    });
    const backup = c.servers.findIndex((s) => s.role === 'backup');
    if (backup >= 0 && !(c.server_failover_enabled && c.failover_enabled)) {
      issue(['servers', backup, 'role'], 'a backup server carries I/O only on failover: set server_failover_enabled and failover_enabled to true');
    }
    const mirrors = new Set((c.exports ?? []).filter((e) => e.mode === 'mirror').map((e) => e.name));
    if (mirrors.size === 0) {
      if (c.resync_rate !== undefined) issue(['resync_rate'], 'resynchronisation is for mirror devices: no export in nbd.exports has mode = "mirror"');
      if (c.resync_region_size !== undefined) issue(['resync_region_size'], 'dirty regions are for mirror devices: no export in nbd.exports has mode = "mirror"');
    }
    const mirrorBackup = c.servers.findIndex((s) => s.role === 'backup' && mirrors.has(s.export));
    if (mirrorBackup >= 0) issue(['servers', mirrorBackup, 'role'], 'a mirror device writes to every replica: its servers cannot be backups');
    // Mirror replicas are distinct stores by design (the driver keeps them equal): no backend mixing check.
    const shared = c.servers.filter((s) => !mirrors.has(s.export));
    const mixed = mixedBackend(shared, c.backend, c.exports);
    if (mixed) issue(['servers', c.servers.indexOf(shared[mixed.index]!), 'backend'], mixed.reason);
    if (c.exports) {
      const names = new Set(c.exports.map((e) => e.name));
      c.servers.forEach((s, i) => {
        if (!names.has(s.export)) issue(['servers', i, 'export'], `export "${s.export}" is not listed in nbd.exports`);
      });
      const devices = new Set<string>();
      c.exports.forEach((e, i) => {
        if (e.device !== undefined && devices.has(e.device)) issue(['exports', i, 'device'], `device ${e.device} is used twice`);
        if (e.device !== undefined) devices.add(e.device);
      });
    }
  });

export type NbdSectionInput = z.input<typeof nbdSectionSchema>;
export type NbdSectionParsed = z.output<typeof nbdSectionSchema>;
