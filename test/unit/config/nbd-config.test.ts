import { describe, expect, it } from 'vitest';
import { ConfigError, defaultNbdConfig } from '../../../drivers/nbd/config/index.ts';
import { parseNbdConfig } from '../../../scenarios/schema/nbd-file.ts';

function fail(text: string): ConfigError {
  try {
    parseNbdConfig(text, 'drv.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('[nbd] defaults are the spec example (but compression, off so no scenario changes)', () => {
  it('every spec key has the value of the spec\'s Driver Configuration block', () => {
    const c = defaultNbdConfig();
    expect(c.connectionMaxCount).toBe(64);
    expect(c.connectionPoolSize).toBe(16);
    expect(c.connectionTimeoutNs).toBe(30_000 * 1e6); // 30000 ms
    expect(c.connectionRetryCount).toBe(3);
    expect(c.serverMaxCount).toBe(16);
    expect(c.serverLoadBalancing).toBe(true);
    expect(c.serverFailoverEnabled).toBe(true);
    expect(c.serverHealthCheckIntervalNs).toBe(30 * 1e9); // 30 s
    expect(c.readAheadBytes).toBe(2 * 1024 * 1024);
    expect(c.writeBackCache).toBe(false); // the spec says true; off until a scenario asks (docs/cache.md)
    expect(c.writeBackCacheBytes).toBe(256 * 1024 * 1024);
    expect(c.localCacheBytes).toBe(512 * 1024 * 1024);
    expect(c.compressionEnabled).toBe(false);
    expect(c.checksumEnabled).toBe(false);
    expect(c.tcpEnabled).toBe(true);
    expect(c.udpEnabled).toBe(false);
    expect(c.connectionPooling).toBe(true);
    expect(c.loadBalancing).toBe(true);
    expect(c.failoverEnabled).toBe(true);
    expect(c.tls).toBeUndefined();
    expect(c.servers).toEqual([]);
  });

  it('the spec\'s own example block parses to the same values', () => {
    const spec = `[nbd]
connection_max_count = 64
connection_pool_size = 16
connection_timeout = 30000
connection_retry_count = 3
server_max_count = 16
server_load_balancing = true
server_failover_enabled = true
server_health_check_interval = 30
read_ahead_size = "2MB"
write_back_cache = true
write_back_cache_size = "256MB"
local_cache_size = "512MB"
compression_enabled = false
tcp_enabled = true
udp_enabled = false
connection_pooling = true
load_balancing = true
failover_enabled = true
`;
    // Equal to the defaults except write_back_cache, which is off by default here (docs/cache.md).
    expect(parseNbdConfig(spec, 'spec.toml')).toEqual({ ...defaultNbdConfig(), writeBackCache: true });
  });

  it('the caches live in the local cache: read-ahead or write-back without room there is refused', () => {
    expect(fail('[nbd]\nlocal_cache_size = 0\n').reason).toMatch(/read-ahead fills the local cache/);
    expect(parseNbdConfig('[nbd]\nlocal_cache_size = 0\nread_ahead_size = 0\n', 'x.toml').localCacheBytes).toBe(0);
    expect(fail('[nbd]\nwrite_back_cache = true\nlocal_cache_size = "1MiB"\n').reason).toMatch(/must not exceed local_cache_size \(1048576 bytes\)/);
    expect(fail('[nbd]\nwrite_back_cache = true\nwrite_back_cache_size = 0\n').reason).toMatch(/needs at least 4KiB/);
  });

  it('compression_enabled = true (the spec example\'s value) and checksum_enabled parse and reach the config', () => {
    const c = parseNbdConfig('[nbd]\ncompression_enabled = true\nchecksum_enabled = true\n', 'x.toml');
    expect([c.compressionEnabled, c.checksumEnabled]).toEqual([true, true]);
  });
});

describe('[nbd] extras: servers, exports, tls, reconnect', () => {
  it('normalises durations, sizes and servers', () => {
    const c = parseNbdConfig(`[nbd]
connection_timeout = "5s"
dead_conn_timeout = "250ms"
request_timeout = 2000
reconnect = { base = "50ms", cap = "2s", jitter = "10%" }
tls = { psk = "00112233445566778899AABBCCDDEEFF", identity = "client1" }
[[nbd.servers]]
name = "a"
export = "disk0"
[[nbd.servers]]
name = "b"
address = "10.0.0.3"
port = 10810
export = "disk0"
`, 'x.toml');
    expect(c.connectionTimeoutNs).toBe(5e9);
    expect(c.deadConnTimeoutNs).toBe(250e6);
    expect(c.requestTimeoutNs).toBe(2e9);
    expect(c.reconnect).toEqual({ baseNs: 50e6, capNs: 2e9, jitter: 0.1 });
    expect(c.tls).toEqual({ pskHex: '00112233445566778899aabbccddeeff', identity: 'client1', required: true });
    expect(c.servers).toEqual([
      // No role or backend given: a primary, with the backend the server advertises.
      { name: 'a', address: undefined, port: 10809, export: 'disk0', role: 'primary', backend: undefined },
      { name: 'b', address: '10.0.0.3', port: 10810, export: 'disk0', role: 'primary', backend: undefined },
    ]);
    expect(c.exports).toEqual([{ name: 'disk0', device: undefined, access: 'rw', mode: 'shared' }]);
  });
});

describe('bad [nbd] input names the file, the key path, the reason and the line', () => {
  it('range: connection_max_count above the spec limit of 64', () => {
    const e = fail('[nbd]\nconnection_max_count = 65\n');
    expect([e.file, e.keyPath, e.line]).toEqual(['drv.toml', 'nbd.connection_max_count', 2]);
    expect(e.reason).toMatch(/at most 64/);
  });
  it('range: server_max_count above 16', () => {
    expect(fail('[nbd]\n\nserver_max_count = 17\n').keyPath).toBe('nbd.server_max_count');
  });
  it('range: local cache above 512 MB', () => {
    expect(fail('[nbd]\nlocal_cache_size = "1GiB"\n').reason).toMatch(/at most 536870912/);
  });
  it('unknown key', () => {
    const e = fail('[nbd]\ntcp_enabled = true\nconection_timeout = 5\n');
    expect([e.keyPath, e.line]).toEqual(['nbd.conection_timeout', 3]);
    expect(e.reason).toBe('unknown key "conection_timeout"');
  });
  it('wrong type', () => {
    const e = fail('[nbd]\ntcp_enabled = "yes"\n');
    expect(e.keyPath).toBe('nbd.tcp_enabled');
    expect(e.reason).toMatch(/expected boolean/);
  });
  it('bad unit', () => {
    const e = fail('[nbd]\nread_ahead_size = "2 parsecs"\n');
    expect(e.keyPath).toBe('nbd.read_ahead_size');
    expect(e.message).toBe('drv.toml:2: nbd.read_ahead_size: bad size "2 parsecs": expected a number with B, KiB/KB, MiB/MB, GiB/GB or TiB/TB');
  });
  it('pool larger than the connection limit', () => {
    expect(fail('[nbd]\nconnection_max_count = 4\nconnection_pool_size = 8\n').keyPath).toBe('nbd.connection_pool_size');
  });
  it('a key inside an array of tables', () => {
    const e = fail('[nbd]\n[[nbd.servers]]\nname = "a"\n[[nbd.servers]]\nname = "b"\nport = 0\n');
    expect([e.keyPath, e.line]).toEqual(['nbd.servers[1].port', 6]);
  });
  it('duplicate server names and a server export not in exports', () => {
    expect(fail('[nbd]\nservers = [{ name = "a" }, { name = "a" }]\n').keyPath).toBe('nbd.servers[1].name');
    expect(fail('[nbd]\nexports = [{ name = "x" }]\nservers = [{ name = "a", export = "y" }]\n').keyPath).toBe('nbd.servers[0].export');
  });
  it('a short PSK', () => {
    expect(fail('[nbd.tls]\npsk = "abcd"\n').keyPath).toBe('nbd.tls.psk');
  });
  it('TOML syntax error carries the line', () => {
    const e = fail('[nbd]\nconnection_max_count = = 3\n');
    expect(e.line).toBe(2);
    expect(e.reason).toMatch(/^TOML syntax error/);
  });
});
