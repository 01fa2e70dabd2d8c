import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';

/** A small valid scenario; tests append or replace lines to break it in one place. */
const BASE = `[scenario]
name = "t"
seeds = [7, 8]

[[volume]]
name = "v0"
size = "1GiB"

[[server]]
name = "a"
disk = "ssd"
[[server.export]]
name = "disk0"
volume = "v0"

[[server]]
name = "b"
[[server.export]]
name = "disk0"
size = "1GiB"
volume = "v0"

[[link]]
between = ["client", "a"]
rate = "10Gbit"
delay = "50us"
loss = "0.1%"

[[link]]
name = "lb"
between = ["b", "client"]

[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
iodepth = 32
runtime = "1s"
`;

function fail(text: string): ScenarioError {
  try {
    parseScenario(text, 's.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('a valid scenario is normalised', () => {
  it('times in ns, sizes in bytes, rates in bit/s, defaults filled in', () => {
    const s = parseScenario(
      `${BASE}
[[at]]
time = "2.5s"
action = "crash"
target = "b"
[[at]]
time = "1s"
action = "partition"
target = "a<->client"
duration = "300ms"
[[at]]
time = "3s"
action = "restart"
target = "b"
[[at]]
time = "1.2s"
action = "set-link"
target = "lb"
loss = "1%"
[[at]]
time = "4s"
action = "mgmt"
command = "nbd-server-add c 10809 disk0 10.0.0.9"
[expect]
liveness = "2s"
iops = { min = 40000, job = "w" }
bandwidth = "1GB/s"
[expect.latency.write]
p99 = "10ms"
"p99.9" = "20ms"
`,
      's.toml',
    );
    expect(s.seeds).toEqual([7, 8]);
    expect(s.servers.map((x) => [x.name, x.disk, x.exports[0]!.sizeBytes])).toEqual([['a', 'ssd', 2 ** 30], ['b', 'nvme', 2 ** 30]]);
    expect(s.links[0]).toMatchObject({ name: 'client<->a', rateBps: 10e9, delayNs: 50_000, loss: 0.001 });
    expect(s.links[1]).toMatchObject({ name: 'lb', rateBps: 25e9, delayNs: 20_000 });
    // The driver attaches every server's first export when [nbd] lists no servers.
    expect(s.nbd.servers.map((x) => [x.name, x.export])).toEqual([['a', 'disk0'], ['b', 'disk0']]);
    expect(s.jobs[0]).toMatchObject({ device: 'nbd0', bsBytes: 4096, iodepth: 32, runtimeNs: 1e9, sizeBytes: 2 ** 30, offsetBytes: 0 });
    // Sorted by time; the pair "a<->client" resolves to the link declared as client,a.
    expect(s.timeline.map((e) => [e.atNs, e.action])).toEqual([
      [1e9, 'partition'], [1.2e9, 'set-link'], [2.5e9, 'crash'], [3e9, 'restart'], [4e9, 'mgmt'],
    ]);
    expect(s.timeline[0]).toMatchObject({ link: 'client<->a', durationNs: 300e6, index: 1 });
    expect(s.timeline[1]).toMatchObject({ link: 'lb', set: { loss: 0.01 } });
    expect(s.timeline[4]).toMatchObject({ argv: ['nbd-server-add', 'c', '10809', 'disk0', '10.0.0.9'] });
    // Partition heals at 1.3 s, crash of b at its restart (3 s).
    expect(s.lastHealNs).toBe(3e9);
    expect(s.expect).toMatchObject({
      safety: true, livenessNs: 2e9, iops: { min: 40000, job: 'w' }, bandwidth: { minBps: 8e9, job: undefined },
      latency: { write: { p99: 10e6, 'p99.9': 20e6 } },
    });
  });

  it('[expect] device: an expected failure of every device or of one by name, with an optional reason substring', () => {
    const dev = (v: string) => parseScenario(`${BASE}\n[expect]\ndevice = ${v}\n`, 's.toml').expect.device;
    expect(parseScenario(BASE, 's.toml').expect.device).toBeUndefined();
    expect(dev('"ready"')).toBeUndefined();
    expect(dev('"failed"')).toEqual([{ device: undefined, state: 'failed', reason: undefined }]);
    expect(dev('{ state = "failed", reason = "wrong PSK" }')).toEqual([{ device: undefined, state: 'failed', reason: 'wrong PSK' }]);
    expect(dev('{ name = "nbd0", state = "failed" }')).toEqual([{ device: 'nbd0', state: 'failed', reason: undefined }]);
    expect(dev('[{ name = "nbd0", state = "ready" }, { state = "failed", reason = "x" }]'))
      .toEqual([{ device: 'nbd0', state: 'ready', reason: undefined }, { device: undefined, state: 'failed', reason: 'x' }]);
  });

  it('jobs on RAM disks need no server; a RAM disk is 64 MiB unless a job reaches further', () => {
    const s = parseScenario('[scenario]\nname = "r"\n[[job]]\nname = "j"\ndevice = "ram0"\nrw = "randtrim"\nios = 5\nstart = "1ms"\n', 'r.toml');
    expect(s.servers).toEqual([]);
    expect(s.nbd.servers).toEqual([]);
    expect(s.jobs[0]).toMatchObject({ device: 'ram0', rw: 'randtrim', sizeBytes: 64 * 2 ** 20, startNs: 1e6 });
    expect(fail(BASE.replace('bs = "4KiB"', 'device = "sda"')).reason).toBe('must be nbdN or ramN');
    // No server: an NBD job has no device.
    expect(fail('[scenario]\nname = "r"\n[[job]]\nname = "j"\nrw = "read"\n').keyPath).toBe('job[0].device');
  });

  it('the same text always hashes the same, a different text differently', () => {
    expect(parseScenario(BASE, 'x').hash).toBe(parseScenario(BASE, 'y').hash);
    expect(parseScenario(`${BASE}\n# c\n`, 'x').hash).not.toBe(parseScenario(BASE, 'x').hash);
  });

  it('scenarios/smoke.toml is valid', () => {
    const s = loadScenario('scenarios/smoke.toml');
    expect(s.name).toBe('smoke');
    expect(s.jobs.length).toBeGreaterThan(0);
    expect(s.expect.safety).toBe(true);
  });
});

describe('bad scenarios: file, key path, reason, line', () => {
  it('missing file', () => {
    expect(() => loadScenario('no/such.toml')).toThrow(/no\/such\.toml: no such file/);
  });

  it('TOML syntax error with its line', () => {
    const text = `${BASE}\n[[job]\nname = "x"\n`;
    const e = fail(text);
    expect(e.line).toBe(text.split('\n').indexOf('[[job]') + 1);
    expect(e.reason).toMatch(/^TOML syntax error/);
  });

  it('unknown key in a table', () => {
    const text = BASE.replace('iodepth = 32', 'iodepht = 32');
    const e = fail(text);
    expect([e.keyPath, e.reason, e.line]).toEqual(['job[0].iodepht', 'unknown key "iodepht"', lineOf(text, 'iodepht')]);
  });

  it('unknown top-level table', () => {
    expect(fail(`${BASE}\n[clinet]\ncores = 2\n`).keyPath).toBe('clinet');
  });

  it('wrong type', () => {
    const e = fail(BASE.replace('iodepth = 32', 'iodepth = "32"'));
    expect(e.keyPath).toBe('job[0].iodepth');
    expect(e.reason).toBe('expected number, got the string "32"');
  });

  it('NaN, infinity and a missing value are named as such (JSON spelt NaN "null" and undefined "the undefined undefined")', () => {
    expect(fail(BASE.replace('iodepth = 32', 'iodepth = nan')).reason).toBe('expected number, got the number NaN');
    expect(fail(BASE.replace('iodepth = 32', 'iodepth = inf')).reason).toBe('expected number, got the number Infinity');
    const noTime = fail(`${BASE}
[[at]]
action = "crash"
target = "a"
`);
    expect([noTime.keyPath, noTime.reason]).toEqual(['at[0].time', 'duration must be a string like "250ms", got nothing (the key is missing)']);
  });

  it('wrong unit', () => {
    const text = BASE.replace('delay = "50us"', 'delay = "50 furlongs"');
    const e = fail(text);
    expect([e.keyPath, e.line]).toEqual(['link[0].delay', lineOf(text, 'furlongs')]);
    expect(e.reason).toContain('"50 furlongs"');
    expect(fail(BASE.replace('rate = "10Gbit"', 'rate = "10GHz"')).keyPath).toBe('link[0].rate');
  });

  it('unknown server in the timeline', () => {
    const text = `${BASE}\n[[at]]\ntime = "1s"\naction = "restart"\ntarget = "a"\n[[at]]\ntime = "2s"\naction = "crash"\ntarget = "c"\n`;
    const e = fail(text);
    expect([e.file, e.keyPath, e.line]).toEqual(['s.toml', 'at[1].target', lineOf(text, 'target = "c"')]);
    expect(e.reason).toBe('unknown server "c" (servers: "a", "b")');
    expect(e.message).toBe(`s.toml:${lineOf(text, 'target = "c"')}: at[1].target: unknown server "c" (servers: "a", "b")`);
  });

  it('unknown link pair and unknown action in the timeline', () => {
    expect(fail(`${BASE}\n[[at]]\ntime = "1s"\naction = "partition"\ntarget = "a<->b"\n`).reason).toBe('no [[link]] between "a" and "b"');
    const e = fail(`${BASE}\n[[at]]\ntime = "1s"\naction = "explode"\ntarget = "a"\n`);
    expect(e.keyPath).toBe('at[0].action');
    expect(e.reason).toMatch(/^unknown action "explode" \(expected one of "crash", "restart", "partition"/);
  });

  it('a timeline time without a unit', () => {
    expect(fail(`${BASE}\n[[at]]\ntime = 1\naction = "crash"\ntarget = "a"\n`).keyPath).toBe('at[0].time');
  });

  it('unknown host in a link', () => {
    const e = fail(BASE.replace('between = ["b", "client"]', 'between = ["b", "clinet"]'));
    expect([e.keyPath, e.reason]).toEqual(['link[1].between[1]', 'unknown host "clinet" (hosts: "client", "a", "b")']);
  });

  it('an [nbd] problem is reported with the scenario file and the nbd key path', () => {
    const text = `${BASE}\n[nbd]\nconnection_max_count = 100\n`;
    const e = fail(text);
    expect([e.file, e.keyPath, e.line]).toEqual(['s.toml', 'nbd.connection_max_count', lineOf(text, 'connection_max_count')]);
    expect(fail(`${BASE}\n[nbd]\nservers = [{ name = "zz" }]\n`).keyPath).toBe('nbd.servers[0].name');
  });

  it('a job that does not fit its device', () => {
    expect(fail(BASE.replace('bs = "4KiB"', 'bs = "4KiB"\nsize = "2GiB"')).keyPath).toBe('job[0].size');
    expect(fail(BASE.replace('bs = "4KiB"', 'device = "nbd5"')).keyPath).toBe('job[0].device');
    expect(fail(BASE.replace('bs = "4KiB"', 'bs = "1000B"')).keyPath).toBe('job[0].bs');
  });

  it('liveness cannot be asked for when a fault never heals', () => {
    expect(fail(`${BASE}\n[[at]]\ntime = "1s"\naction = "crash"\ntarget = "a"\n[expect]\nliveness = "1s"\n`).keyPath).toBe('expect.liveness');
  });

  it('a bad [expect] device', () => {
    expect(fail(`${BASE}\n[expect]\ndevice = "broken"\n`).keyPath).toBe('expect.device');
    const e = fail(`${BASE}\n[expect]\ndevice = { state = "ready", reason = "x" }\n`);
    expect([e.keyPath, e.reason]).toEqual(['expect.device.reason', 'reason only applies to state = "failed"']);
    expect(fail(`${BASE}\n[expect]\ndevice = { state = "failed", why = "x" }\n`).keyPath).toBe('expect.device.why');
    // A device the scenario does not have would make the expectation check nothing: refused.
    const unknown = fail(`${BASE}\n[expect]\ndevice = { name = "nbd7", state = "failed" }\n`);
    expect([unknown.keyPath, unknown.reason]).toEqual(['expect.device.name', 'no NBD device "nbd7" (devices: "nbd0")']);
    const twice = fail(`${BASE}\n[expect]\ndevice = [{ name = "nbd0", state = "failed" }, { name = "nbd0", state = "ready" }]\n`);
    expect([twice.keyPath, twice.reason]).toEqual(['expect.device[1].name', 'device "nbd0" named twice']);
    const cache = fail(`${BASE}\n[expect]\ncache = { device = "nbd1", hit_ratio = 0.5 }\n`);
    expect([cache.keyPath, cache.reason]).toEqual(['expect.cache.device', 'no NBD device "nbd1" (devices: "nbd0")']);
  });

  it('a missing required key', () => {
    const e = fail(BASE.replace('rw = "randwrite"\n', ''));
    expect(e.keyPath).toBe('job[0].rw');
    expect(e.reason).toMatch(/missing/);
  });

  it('an unknown enum value lists the choices', () => {
    const e = fail(BASE.replace('disk = "ssd"', 'disk = "tape"'));
    expect(e.keyPath).toBe('server[0].disk');
    expect(e.reason).toBe('expected one of "ram", "nvme", "ssd", "hdd", got the string "tape"');
  });

  it('the example in the repository stays in sync with the docs comment', () => {
    expect(readFileSync('scenarios/smoke.toml', 'utf8')).toMatch(/^#:schema .*\n# Smoke/);
  });
});
