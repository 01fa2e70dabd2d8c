// Standing rule: "a config key acts or is refused". Every key of the [nbd] schema (enumerated from
// the schema itself, so a new key without an entry here fails) has one check: a tiny run with a
// non-default value and an observable difference from the base run (connection counts, balancer
// policy, wire sends, cache summary, job errors), a loader refusal naming the key, or a pointer to
// an existing test that asserts the key's effect (checked: the file exists and names the key).
// The table of where each key acts is docs/config-keys.md.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nbdConfigFromTable } from '../../../drivers/nbd/config/load.ts';
import { nbdSectionSchema } from '../../../drivers/nbd/config/schema.ts';
import { ConfigError } from '../../../drivers/nbd/config/errors.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import type { RunResult } from '../../../scenarios/runner/types.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { cli, scratch } from '../cli/harness.ts';

const IOS = 64;
/** One RAM-backed server, a 64-I/O randrw job at QD4, one connection; management output at 2 ms. */
const scenario = (nbd: string, job = ''): string => `
[scenario]
name = "keys-act"
[machine]
cores = 1
[[server]]
name = "a"
disk = "ram"
[[server.export]]
name = "disk0"
size = "1MiB"
[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "5us"
[nbd]
${nbd.includes('connection_pool_size') ? '' : 'connection_pool_size = 1'}
${nbd}
[[job]]
name = "j"
rw = "randrw"
bs = "4KiB"
iodepth = 4
size = "256KiB"
ios = ${IOS}
${job}
[[at]]
time = "2ms"
action = "mgmt"
command = "nbd-connection-info"
[[at]]
time = "2ms"
action = "mgmt"
command = "nbd-load-balancer-info"
`;

/** A run and how many trace records of each kind it emitted. */
type Run = RunResult & { kinds: Map<string, number>; refusedAt: number[] };
function run(nbd: string, job?: string): Run {
  const kinds = new Map<string, number>();
  const refusedAt: number[] = [];
  const r = runScenario(parseScenario(scenario(nbd, job), 'keys-act.toml'), 1, {
    onTrace: (t) => {
      kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1);
      if (t.kind === 'tcp.error') refusedAt.push(t.t);
    },
  });
  return Object.assign(r, { kinds, refusedAt });
}
/** [nbd] lines of a device whose only server is asked on a port nothing listens on: every connect is refused. */
const NOBODY = '[[nbd.servers]]\nname = "a"\nexport = "disk0"\nport = 10810';
const MS = 1_000_000;
/** Gaps between refused connects, rounded to 0.1 ms (a refusal takes one round trip of microseconds). */
const gaps = (r: Run): number[] => r.refusedAt.slice(1).map((t, i) => Math.round((t - r.refusedAt[i]!) / (MS / 10)) / 10);
const bases = new Map<string, Run>();
/** The run a check compares with: same `base` lines and job extras, no `run` lines (memoised). */
function base(nbd = '', job?: string): Run {
  const key = `${nbd}\n--\n${job ?? ''}`;
  return bases.get(key) ?? bases.set(key, run(nbd, job)).get(key)!;
}

interface Conn { sent: number; lb_picks?: number }
const conns = (r: RunResult): Conn[] => (r.mgmt.find((m) => m.command[0] === 'nbd-connection-info')!.data as { connections: Conn[] }).connections;
const lb = (r: RunResult) => r.mgmt.find((m) => m.command[0] === 'nbd-load-balancer-info')!.data as { policy: string; connections: Conn[] };
const sent = (r: RunResult): number => conns(r).reduce((n, c) => n + c.sent, 0);

/** Parses an [nbd] table through the loader; returns the error message, or '' when accepted. */
function refusal(table: Record<string, unknown>): string {
  try {
    nbdConfigFromTable(table, { file: 'keys.toml' });
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError); // the CLI turns it into one line and exit 2
    return (e as Error).message;
  }
}

type Check =
  /** `base`: [nbd] lines of both runs (the check puts `run` before them); `job`: text after the job, in both runs. */
  | { run: string; base?: string; job?: string; expect: (r: Run, b: Run) => void }
  | { refused: Record<string, unknown>; message: RegExp }
  | { shownBy: string; mentions?: string };

const SERVER = { servers: [{ name: 'a' }] };

const CHECKS: Record<string, Check[]> = {
  connection_max_count: [
    { refused: { connection_max_count: 2, connection_pool_size: 4 }, message: /connection_pool_size: must not exceed connection_max_count \(2\)/ },
    { shownBy: 'test/unit/driver/basic-io.test.ts' },
  ],
  connection_pool_size: [{ run: 'connection_pool_size = 3', expect: (r, b) => { expect(conns(b)).toHaveLength(1); expect(conns(r)).toHaveLength(3); } }],
  connection_timeout: [{
    // The link is cut for the first 20 ms. By default the first connect waits for TCP's SYN
    // retransmit (initial RTO 1 s); with a 1 ms timeout it is given up and the retry after the
    // 100 ms (80–100 % of it, jitter 0.2) backoff connects, so the whole run ends before 200 ms.
    run: 'connection_timeout = "1ms"',
    job: '[[at]]\ntime = "0ns"\naction = "partition"\ntarget = "client<->a"\nduration = "20ms"',
    expect: (r, b) => {
      expect(b.jobs[0]!.ios).toBe(IOS);
      expect(r.jobs[0]!.ios).toBe(IOS);
      expect(b.virtualTimeNs).toBeGreaterThan(1000 * MS);
      expect(r.virtualTimeNs).toBeLessThan(200 * MS);
    },
  }],
  connection_retry_count: [{
    // Attempts = 1 + retries: the default 3 gives 4 refused connects, 0 gives one.
    base: NOBODY, run: 'connection_retry_count = 0',
    expect: (r, b) => { expect(b.refusedAt).toHaveLength(4); expect(r.refusedAt).toHaveLength(1); },
  }],
  server_max_count: [{ refused: { server_max_count: 1, servers: [{ name: 'a' }, { name: 'b' }] }, message: /servers: 2 servers exceed server_max_count \(1\)/ }],
  server_load_balancing: [{
    run: 'connection_pool_size = 2\nserver_load_balancing = false',
    expect: (r) => { expect(lb(r).policy).toBe('single'); expect(conns(r).filter((c) => c.sent > 0)).toHaveLength(1); },
  }],
  load_balancing: [{
    run: 'connection_pool_size = 2\nload_balancing = false',
    expect: (r) => { expect(lb(r).policy).toBe('single'); expect(conns(r).filter((c) => c.sent > 0)).toHaveLength(1); },
  }],
  connection_pooling: [
    // The comment names the key, so the scenario keeps the default pool (16) instead of adding `connection_pool_size = 1`.
    { run: '# connection_pool_size: the default\nconnection_pooling = false', expect: (r) => expect(conns(r)).toHaveLength(1) },
    // A pool size beside pooling off would do nothing: refused.
    { refused: { connection_pooling: false, connection_pool_size: 2 }, message: /connection_pool_size: connection_pooling = false keeps one connection/ },
  ],
  server_failover_enabled: [{ shownBy: 'test/unit/multi/failover.test.ts' }],
  failover_enabled: [{ refused: { failover_enabled: false, servers: [{ name: 'a' }, { name: 'b', role: 'backup' }] }, message: /servers\[1\]\.role: .*failover_enabled/ }],
  server_health_check_interval: [{
    // A probe is one more command on the wire per interval: without a cache the base run sends exactly the job's I/Os.
    base: 'local_cache_size = 0\nread_ahead_size = 0',
    run: 'server_health_check_interval = "200us"',
    expect: (r, b) => { expect(sent(b)).toBe(IOS); expect(sent(r)).toBeGreaterThan(IOS); },
  }],
  server_health_probe_timeout: [{ shownBy: 'test/unit/multi/health-probe.test.ts', mentions: 'timeoutNs' }],
  server_health_down_after: [{ shownBy: 'test/unit/multi/health-probe.test.ts', mentions: 'downAfter' }],
  server_health_up_after: [{ shownBy: 'test/unit/multi/health-probe.test.ts', mentions: 'upAfter' }],
  read_ahead_size: [{ shownBy: 'test/unit/cache/read-ahead.test.ts' }],
  write_back_cache: [{
    run: 'write_back_cache = true',
    expect: (r, b) => {
      expect(b.devices![0]!.cache!.mode).toBe('write-through');
      expect(b.devices![0]!.cache!.absorbedWrites).toBe(0);
      expect(r.devices![0]!.cache!.mode).toBe('write-back');
      expect(r.devices![0]!.cache!.absorbedWrites).toBeGreaterThan(0);
    },
  }],
  write_back_cache_size: [
    { refused: { write_back_cache: true, write_back_cache_size: '1MiB', local_cache_size: '512KiB' }, message: /write_back_cache_size: .*local_cache_size/ },
    // Without the write-back cache the size would do nothing: refused.
    { refused: { write_back_cache_size: '1MiB' }, message: /write_back_cache_size: sizes the write-back cache, which is off/ },
  ],
  local_cache_size: [{ run: 'local_cache_size = 0\nread_ahead_size = 0', expect: (r, b) => { expect(b.devices![0]!.cache).toBeDefined(); expect(r.devices![0]!.cache).toBeUndefined(); } }],
  compression_enabled: [{ shownBy: 'test/conformance/scenarios/extensions.test.ts' }],
  checksum_enabled: [{ shownBy: 'test/conformance/scenarios/extensions.test.ts' }],
  extended_headers: [{ shownBy: 'test/unit/driver/extended-headers.test.ts' }],
  tcp_enabled: [{ shownBy: 'test/conformance/scenarios/udp-transport.test.ts' }],
  udp_enabled: [{ shownBy: 'test/conformance/scenarios/udp-transport.test.ts' }],
  dead_conn_timeout: [{
    // The link is cut for 50 ms from 0.3 ms on: the one connection goes silent with requests in
    // flight. By default (30 s) they wait for TCP to heal; at 5 ms they fail with EIO.
    run: 'dead_conn_timeout = "5ms"',
    job: 'continue_on_error = true\n[[at]]\ntime = "300us"\naction = "partition"\ntarget = "client<->a"\nduration = "50ms"',
    expect: (r, b) => { expect(b.jobs[0]!.errors).toBe(0); expect(r.jobs[0]!.errors).toBeGreaterThan(0); },
  }, { shownBy: 'test/unit/driver/dead-conn.test.ts' }],
  request_timeout: [{
    // A 4 KiB round trip takes over two 5 µs link crossings: a 15 µs blk-mq timeout fires for the slower ones, the default 30 s never.
    run: 'request_timeout = "15us"',
    expect: (r, b) => { expect(b.kinds.get('rq.timeout') ?? 0).toBe(0); expect(r.kinds.get('rq.timeout')).toBeGreaterThan(0); },
  }],
  'reconnect.base': [
    { refused: { reconnect: { base: '20s', cap: '10s' } }, message: /reconnect\.base: must not exceed reconnect\.cap/ },
    // No jitter: delays 1, 2, 4 ms between the four refused connects.
    { base: NOBODY, run: 'reconnect = { base = "1ms", cap = "1s", jitter = 0 }', expect: (r) => expect(gaps(r)).toEqual([1, 2, 4]) },
  ],
  // Doubling stops at the cap: 1, 2, 2 ms.
  'reconnect.cap': [{ base: NOBODY, run: 'reconnect = { base = "1ms", cap = "2ms", jitter = 0 }', expect: (r) => expect(gaps(r)).toEqual([1, 2, 2]) }],
  'reconnect.jitter': [{
    // ±50 % drawn per delay: the gaps leave 1, 2, 4 ms (and stay within half of each).
    base: NOBODY, run: 'reconnect = { base = "1ms", cap = "1s", jitter = 0.5 }',
    expect: (r) => {
      const g = gaps(r);
      expect(g).toHaveLength(3);
      expect(g).not.toEqual([1, 2, 4]);
      [1, 2, 4].forEach((d, i) => { expect(g[i]).toBeGreaterThanOrEqual(d / 2); expect(g[i]).toBeLessThanOrEqual(d * 1.5); });
    },
  }],
  'tls.psk': [{ shownBy: 'test/unit/driver/tls.test.ts', mentions: 'psk' }],
  'tls.identity': [{ shownBy: 'test/unit/server/access-control.test.ts', mentions: 'identity' }],
  'tls.required': [{ shownBy: 'test/unit/driver/tls.test.ts', mentions: 'tls.required' }],
  backend: [{ shownBy: 'test/unit/multi/backend.test.ts' }],
  resync_rate: [{ shownBy: 'test/unit/multi/mirror.test.ts' }],
  resync_region_size: [{ shownBy: 'test/unit/multi/mirror.test.ts' }],
  'servers.name': [{ refused: { servers: [{ name: 'a' }, { name: 'a' }] }, message: /servers\[1\]\.name: duplicate server name "a"/ }],
  'servers.address': [{ shownBy: 'test/unit/driver/basic-io.test.ts', mentions: 'address' }],
  'servers.port': [{
    // Nothing listens on 10810: the device never gets past connecting and no I/O completes.
    run: NOBODY,
    expect: (r, b) => {
      expect(b.devices![0]!.state).toBe('ready');
      expect(b.jobs[0]!.ios).toBe(IOS);
      expect(r.devices![0]!.state).toBe('connecting');
      expect(r.jobs.reduce((n, j) => n + j.ios, 0)).toBe(0);
    },
  }],
  'servers.export': [{ refused: { servers: [{ name: 'a', export: 'x' }], exports: [{ name: 'y' }] }, message: /servers\[0\]\.export: export "x" is not listed/ }],
  'servers.backend': [{ shownBy: 'test/unit/multi/backend.test.ts' }],
  'servers.role': [{ shownBy: 'test/unit/multi/failover.test.ts', mentions: 'backup' }],
  'exports.name': [{ shownBy: 'test/unit/multi/devices.test.ts' }],
  'exports.device': [{ shownBy: 'test/unit/multi/devices.test.ts', mentions: 'device = "nbd' }],
  'exports.access': [{
    // A read-only export refuses every write with EPERM before it is sent.
    run: '[[nbd.servers]]\nname = "a"\nexport = "disk0"\n[[nbd.exports]]\nname = "disk0"\naccess = "ro"',
    expect: (r, b) => { expect(b.jobs[0]!.errors).toBe(0); expect(r.jobs[0]!.errors).toBeGreaterThan(0); },
  }],
  'exports.mode': [{ shownBy: 'test/unit/multi/mirror.test.ts', mentions: 'mode = "mirror"' }],
};

/** Every key of the [nbd] schema, nested tables and arrays of tables as `table.key`. */
function schemaKeys(): string[] {
  const keys: string[] = [];
  const inner = (s: z.ZodType): z.ZodType => {
    let t: any = s;
    for (;;) {
      if (t instanceof z.ZodDefault || t instanceof z.ZodOptional) t = t.unwrap();
      else if (t instanceof z.ZodArray) t = t.element;
      else return t;
    }
  };
  for (const [k, v] of Object.entries(nbdSectionSchema.shape)) {
    const t = inner(v as z.ZodType);
    if (t instanceof z.ZodObject) for (const sub of Object.keys(t.shape)) keys.push(`${k}.${sub}`);
    else keys.push(k);
  }
  return keys;
}

describe('every [nbd] key acts or is refused', () => {
  const keys = schemaKeys();

  it('the schema has the keys this file knows, and no entry names a key it lacks', () => {
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !(k in CHECKS))).toEqual([]);
    expect(Object.keys(CHECKS).filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('a refused [nbd] value is one line on stderr naming file and key, exit 2 (orion-sim validate)', async () => {
    const dir = scratch({ 'k.toml': scenario('connection_pool_size = 4\nconnection_max_count = 2') });
    const r = await cli(['validate', `${dir}/k.toml`]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.err).toMatch(/k\.toml:\d+.*nbd\.connection_pool_size: must not exceed connection_max_count \(2\), got 4/);
  });

  it('docs/config-keys.md has a row for every key', () => {
    const doc = readFileSync('docs/config-keys.md', 'utf8');
    expect(keys.filter((k) => !doc.includes(`| \`${k}\``))).toEqual([]);
  });

  for (const key of keys) {
    for (const [i, c] of (CHECKS[key] ?? []).entries()) {
      const what = 'run' in c ? 'acts in a run' : 'refused' in c ? 'is refused by the loader' : `is shown by ${c.shownBy}`;
      it(`${key} ${what}${i > 0 ? ` (${i + 1})` : ''}`, () => {
        if ('run' in c) {
          // `run` first: `base` may end inside an [[nbd.servers]] table.
          c.expect(run(c.base === undefined ? c.run : `${c.run}\n${c.base}`, c.job), base(c.base, c.job));
        } else if ('refused' in c) {
          expect(refusal(SERVER)).toBe('');
          expect(refusal(c.refused)).toMatch(c.message);
        } else {
          expect(existsSync(c.shownBy)).toBe(true);
          const text = readFileSync(c.shownBy, 'utf8');
          expect(text).toContain(c.mentions ?? key.split('.').pop()!);
          expect(text).toMatch(/\bexpect\(/);
        }
      });
    }
  }
});
