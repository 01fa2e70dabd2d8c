// [expect] device and [expect] cache are per NBD device: without a name they apply to every
// device, with one to that device; a run with several devices names each verdict after its device.
import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';

const PSK = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
// nbd0 is a's export "open" (orion may use it), nbd1 b's export "vault" (allowed only to "backup"): nbd1
// is refused with NBD_REP_ERR_POLICY and fails; the job on nbd0 runs.
const TWO = `[scenario]
name = "one-refused"
[[server]]
name = "a"
tls = { psk = "${PSK}", identity = "orion", required = true }
[[server.export]]
name = "open"
size = "4MiB"
allow = ["psk:orion"]
[[server]]
name = "b"
tls = { psk = "${PSK}", identity = "orion", required = true }
[[server.export]]
name = "vault"
size = "4MiB"
allow = ["psk:backup"]
[nbd]
connection_pool_size = 1
connection_timeout = "100ms"
connection_retry_count = 1
local_cache_size = "1MiB"
tls = { psk = "${PSK}", identity = "orion", required = true }
servers = [{ name = "a", export = "open" }, { name = "b", export = "vault" }]
[[job]]
name = "w"
device = "nbd0"
rw = "randwrite"
bs = "4KiB"
ios = 50
`;
const run = (expectText: string) => runner.runScenario(parseScenario(`${TWO}[expect]\n${expectText}\n`, 'two.toml'), 1);
const rows = (r: ReturnType<typeof run>, prefix: string) => r.expectations.filter((e) => e.name.startsWith(prefix)).map((e) => [e.name, e.ok, e.limit]);

describe('[expect] device with two NBD devices, the second refused by the server', () => {
  it('by default the failed second device fails the run, under its own name', () => {
    const r = run('safety = true');
    expect(rows(r, 'device')).toEqual([['device.nbd1', false, 'ready']]);
    expect(r.passed).toBe(false);
  });

  it('named, the expected failure of nbd1 passes and nbd0 must still end ready', () => {
    const r = run('device = { name = "nbd1", state = "failed", reason = "NBD_REP_ERR_POLICY" }');
    expect(rows(r, 'device')).toEqual([['device.nbd1', true, 'failed: …NBD_REP_ERR_POLICY…']]);
    expect(r.passed).toBe(true);
  });

  it('without a name it applies to each device: nbd0 did not fail, so the run fails', () => {
    const r = run('device = "failed"');
    expect(rows(r, 'device')).toEqual([['device.nbd0', false, 'failed'], ['device.nbd1', true, 'failed']]);
  });
});

describe('[expect] cache with two NBD devices', () => {
  it('without device it checks every device\'s cache, each row named after its device', () => {
    // nbd0 only wrote (no reads: hit ratio 0); nbd1 never ran a request (hit ratio 0).
    const r = run('device = { name = "nbd1", state = "failed" }\ncache = { hit_ratio = 0 }');
    expect(rows(r, 'cache')).toEqual([['cache.nbd0.hit_ratio', true, 0], ['cache.nbd1.hit_ratio', true, 0]]);
  });

  it('with device only that one', () => {
    const r = run('device = { name = "nbd1", state = "failed" }\ncache = { device = "nbd0", hit_ratio = 0.5 }');
    expect(rows(r, 'cache')).toEqual([['cache.nbd0.hit_ratio', false, 0.5]]);
  });
});
