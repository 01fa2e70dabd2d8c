import { z } from 'zod';
import { duration, fraction, int, size } from './fields.ts';

/** Spec limits ("Scalability Metrics"): 64 connections, 16 servers, 512 MB local cache. */
export const NBD_LIMITS = {
  connectionMaxCount: 64,
  serverMaxCount: 16,
  localCacheBytes: 512 * 2 ** 20,
} as const;

export const NBD_DEFAULT_PORT = 10809;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const name = () => z.string().regex(NAME, 'must be a name of letters, digits, "_", "." or "-"');

const serverSchema = z.strictObject({
  name: name(),
  /** IPv4 address or host name; in the simulator a scenario host name resolves on its own. */
  address: z.string().min(1).optional(),
  port: int(1, 65535).default(NBD_DEFAULT_PORT),
  /** Export to attach on this server; "" is the server's default export. */
  export: z.string().default(''),
});

const exportSchema = z.strictObject({
  name: z.string(),
  /** Block device the export becomes, e.g. "nbd0". */
  device: z.string().regex(/^nbd[0-9]+$/, 'must be nbdN').optional(),
  /** Permission per export (SecurityManager): "rw" or "ro". */
  access: z.enum(['rw', 'ro']).default('rw'),
});

const reconnectSchema = z.strictObject({
  base: duration('ms', { min: 1 }).default(100_000_000),
  cap: duration('ms', { min: 1 }).default(10_000_000_000),
  /** Fraction of each delay drawn at random (from a named RNG stream): 0.2 = ±20 %. */
  jitter: fraction().default(0.2),
});

const tlsSchema = z.strictObject({
  /** Pre-shared key as hex, at least 128 bits. */
  psk: z.string().regex(/^([0-9a-fA-F]{2}){16,}$/, 'must be hex, at least 32 hex digits (128 bits)'),
  identity: z.string().min(1).default('orion'),
  /** Refuse to move data unless STARTTLS succeeds. */
  required: z.boolean().default(true),
});

/** The `[nbd]` section as written in TOML: every key of the spec plus what a real driver needs. */
export const nbdSectionSchema = z
  .strictObject({
    // Connection configuration (spec).
    connection_max_count: int(1, NBD_LIMITS.connectionMaxCount).default(64),
    connection_pool_size: int(1, NBD_LIMITS.connectionMaxCount).default(16),
    /** Spec unit: milliseconds when bare; "5s" also accepted. */
    connection_timeout: duration('ms', { min: 1 }).default(30_000_000_000),
    connection_retry_count: int(0, 1000).default(3),
    // Server configuration (spec).
    server_max_count: int(1, NBD_LIMITS.serverMaxCount).default(16),
    server_load_balancing: z.boolean().default(true),
    server_failover_enabled: z.boolean().default(true),
    /** Spec unit: seconds when bare. */
    server_health_check_interval: duration('s', { min: 1 }).default(30_000_000_000),
    // Performance (spec).
    read_ahead_size: size({ max: 2 ** 30 }).default(2 * 2 ** 20),
    write_back_cache: z.boolean().default(true),
    write_back_cache_size: size({ max: 2 ** 40 }).default(256 * 2 ** 20),
    local_cache_size: size({ max: NBD_LIMITS.localCacheBytes }).default(512 * 2 ** 20),
    /** Orion compression extension (docs/nbd-extensions.md); off by default so no scenario changes. */
    compression_enabled: z.boolean().default(false),
    // Network (spec).
    tcp_enabled: z.boolean().default(true),
    udp_enabled: z.boolean().default(false),
    connection_pooling: z.boolean().default(true),
    load_balancing: z.boolean().default(true),
    failover_enabled: z.boolean().default(true),
    // What a real driver needs beyond the spec's list.
    dead_conn_timeout: duration('ms', { min: 1 }).default(30_000_000_000),
    request_timeout: duration('ms', { min: 1 }).default(30_000_000_000),
    reconnect: reconnectSchema.default({ base: 100_000_000, cap: 10_000_000_000, jitter: 0.2 }),
    tls: tlsSchema.optional(),
    servers: z.array(serverSchema).default([]),
    exports: z.array(exportSchema).optional(),
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
    if (c.compression_enabled) {
      issue(['compression_enabled'], 'compression is not built yet: the option is negotiated (docs/nbd-extensions.md) but payload frames are not; set false');
    }
    if (c.reconnect.base > c.reconnect.cap) issue(['reconnect', 'base'], 'must not exceed reconnect.cap');
    const seen = new Set<string>();
    c.servers.forEach((s, i) => {
      if (seen.has(s.name)) issue(['servers', i, 'name'], `duplicate server name "${s.name}"`);
      seen.add(s.name);
    });
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
