// "A config key acts or is refused": keys and combinations the loader used to accept without
// effect (an audit of 2026-12-05) are refused with the key's path, and [[link]] mtu acts.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { scenarioRefusal } from './refusal.ts';

const base = (extra = '', link = '') => `
[scenario]
name = "inert"
[[volume]]
name = "v0"
size = "1MiB"
prefill = "pattern"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
volume = "v0"
[[server]]
name = "b"
[[server.export]]
name = "disk0"
volume = "v0"
[[link]]
between = ["client", "a"]
${link}
${extra}
[[job]]
name = "r"
rw = "read"
bs = "64KiB"
iodepth = 4
size = "1MiB"
ios = 16
`;

describe('keys that would do nothing are refused', () => {
  it('a link between two servers (the fabric is a star around the client)', () => {
    expect(scenarioRefusal(base('[[link]]\nbetween = ["a", "b"]'))).toMatch(/link\[1\]\.between: links between servers are not built/);
  });

  it('a second link to a server, in either order', () => {
    expect(scenarioRefusal(base('[[link]]\nbetween = ["a", "client"]\nrate = "100Mbit"'))).toMatch(/link\[1\]\.between: server "a" already has a link \(link 0\)/);
  });

  it('links with different MTUs (the client has one NIC)', () => {
    expect(scenarioRefusal(base('[[link]]\nbetween = ["client", "b"]\nmtu = 9000'))).toMatch(/link\[1\]\.mtu: 9000, but link 0 has mtu 1500/);
  });

  it('an MTU below 1500 with the UDP transport (its datagrams are 1472 bytes)', () => {
    expect(scenarioRefusal(base('[nbd]\nudp_enabled = true', 'mtu = 576'))).toMatch(/link\[0\]\.mtu: 576 with \[nbd\] udp_enabled/);
  });

  it('set-link rate, delay or jitter (fixed when the link is built)', () => {
    for (const [key, v] of [['rate', '"1Gbit"'], ['delay', '"1ms"'], ['jitter', '"1us"']]) {
      const at = `[[at]]\ntime = "1ms"\naction = "set-link"\ntarget = "client<->a"\n${key} = ${v}`;
      expect(scenarioRefusal(base(at))).toMatch(new RegExp(`at\\[0\\]\\.${key}: set-link cannot change ${key}`));
    }
  });

  it('safety = false without corrupted_reads (the run would still fail on a violation, its row hidden)', () => {
    expect(scenarioRefusal(base('[expect]\nsafety = false'))).toMatch(/expect\.safety: the safety checker cannot be turned off/);
  });

  it('p99.9 and p999 together (one is the other\'s name)', () => {
    expect(scenarioRefusal(base('[expect.latency.read]\n"p99.9" = "1ms"\np999 = "2ms"'))).toMatch(/expect\.latency\.read\.p999: p999 is another name for "p99\.9"/);
  });

  it('[swarm] disk_errors without the disk-error kind', () => {
    expect(scenarioRefusal(base('[swarm]\ndisk_errors = ["EIO"]'))).toMatch(/swarm\.disk_errors: only a disk-error fault uses disk_errors/);
    expect(() => parseScenario(base('[swarm]\nfault_kinds = ["disk-error"]\ndisk_errors = ["EIO"]'), 's.toml')).not.toThrow();
  });

  it('[nbd] write_back_cache_size without write_back_cache, a pool size with pooling off', () => {
    expect(scenarioRefusal(base('[nbd]\nwrite_back_cache_size = "4MiB"'))).toMatch(/nbd\.write_back_cache_size: sizes the write-back cache, which is off/);
    expect(scenarioRefusal(base('[nbd]\nconnection_pooling = false\nconnection_pool_size = 4'))).toMatch(/nbd\.connection_pool_size: connection_pooling = false keeps one connection/);
  });
});

describe('[[link]] mtu acts', () => {
  // The client reads at least the 1 MiB export (B bytes) as full TCP segments of MTU - 40 bytes,
  // each with at least 54 bytes of frame headers (14 Ethernet + 20 IP + 20 TCP): the headers differ
  // by 54·B·(1/1460 - 1/8960) ≥ 32 kB between 1500 and 9000, and 54·B·(1/536 - 1/1460) ≥ 67 kB
  // between 576 and 1500.
  const rx = (mtu: number): number => {
    const r = runScenario(parseScenario(base('[expect]\nwire_bytes = { rx = "1MiB" }', `mtu = ${mtu}`), 's.toml'), 1);
    expect(r.passed).toBe(true);
    return Number(r.expectations.find((e) => e.name === 'wire_bytes.rx')!.actual);
  };

  it('the client receives the same payload in fewer bytes at 9000 and more at 576', () => {
    const small = rx(576);
    const normal = rx(1500);
    const jumbo = rx(9000);
    const payload = 1 << 20;
    expect(normal - jumbo).toBeGreaterThan(25_000);
    expect(small - normal).toBeGreaterThan(50_000);
    for (const b of [small, normal, jumbo]) expect(b).toBeGreaterThan(payload);
  });
});

describe('values that could never act are refused', () => {
  it('[[job]] runtime = 0 (it meant "not set" and the job ran one pass)', () => {
    expect(scenarioRefusal(base().replace('ios = 16', 'runtime = "0s"'))).toMatch(/job\[0\]\.runtime: .*at least/);
  });

  it('a [swarm] rate above every link\'s (a swarm never raises a link\'s rate)', () => {
    expect(scenarioRefusal(base('[swarm]\nrates = ["1Gbit", "100Gbit"]'))).toMatch(/swarm\.rates\[1\]: 100 Gbit\/s is above every link's rate \(fastest 25 Gbit\/s\)/);
  });
});

describe('server addresses the client could not reach are refused at load, not at connect', () => {
  // The fabric: the client is 10.0.0.1/24 and routes only that subnet (runner/topology.ts).
  it('[[server]] address: not an IPv4 address, outside 10.0.0.0/24, or the client\'s own', () => {
    const at = (addr: string) => base().replace('name = "a"\n', `name = "a"\naddress = "${addr}"\n`);
    expect(scenarioRefusal(at('not.an.ip'))).toMatch(/server\[0\]\.address: "not\.an\.ip" is not an IPv4 address/);
    expect(scenarioRefusal(at('10.0.0.300'))).toMatch(/server\[0\]\.address: "10\.0\.0\.300" is not an IPv4 address/);
    expect(scenarioRefusal(at('10.9.9.9'))).toMatch(/server\[0\]\.address: "10\.9\.9\.9" is outside the fabric's subnet 10\.0\.0\.0\/24/);
    expect(scenarioRefusal(at('10.0.0.1'))).toMatch(/server\[0\]\.address: "10\.0\.0\.1" is the client's own address/);
    expect(() => parseScenario(at('10.0.0.77'), 's.toml')).not.toThrow();
  });

  it('[nbd] servers address: a [[server]] name or a reachable IPv4 address', () => {
    const nbd = (addr: string) => base(`[[nbd.servers]]\nname = "a"\nexport = "disk0"\naddress = "${addr}"`);
    expect(scenarioRefusal(nbd('garbage!!'))).toMatch(/nbd\.servers\[0\]\.address: "garbage!!" is not an IPv4 address or a \[\[server\]\] name/);
    expect(scenarioRefusal(nbd('192.168.1.5'))).toMatch(/nbd\.servers\[0\]\.address: "192\.168\.1\.5" is outside the fabric's subnet/);
    expect(() => parseScenario(nbd('b'), 's.toml')).not.toThrow();
  });

  it('an export\'s allow list: an IPv4 address has parts of 0..255', () => {
    const text = base().replace('volume = "v0"\n', 'volume = "v0"\nallow = ["999.1.1.1"]\n');
    expect(scenarioRefusal(text)).toMatch(/server\[0\]\.export\[0\]\.allow\[0\]: must be "psk:<identity>" or an IPv4 address \(each part 0\.\.255\)/);
  });

  it('[[at]] nbd-server-add ADDRESS', () => {
    const add = (addr: string) => base(`[[at]]\ntime = "1ms"\naction = "mgmt"\ncommand = "nbd-server-add zz 10809 disk0 ${addr}"`);
    expect(scenarioRefusal(add('10.0.0.300'))).toMatch(/at\[0\]\.command: ADDRESS: "10\.0\.0\.300" is not an IPv4 address/);
    expect(scenarioRefusal(add('10.9.9.9'))).toMatch(/at\[0\]\.command: ADDRESS: "10\.9\.9\.9" is outside the fabric's subnet/);
  });
});

describe('[nbd] servers export "" (the default) is the server\'s first export', () => {
  it('named at load, so the device reads the export it is (its prefilled pattern, no safety violation)', () => {
    const text = base('[[nbd.servers]]\nname = "a"\n[expect]\nwire_bytes = { rx = "1MiB" }');
    const s = parseScenario(text, 's.toml');
    expect(s.nbd.servers.map((x) => [x.name, x.export])).toEqual([['a', 'disk0']]);
    const r = runScenario(s, 1);
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
  });
});
