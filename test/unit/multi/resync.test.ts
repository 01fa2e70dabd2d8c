// The resync of a replica added at run time (every one of its 64 regions of 64 KiB dirty): several
// copies in flight when the link could carry more than one region per round trip, never more
// than RESYNC_DEPTH, and never faster than resync_rate.
import { describe, expect, it } from 'vitest';
import { RESYNC_DEPTH } from '../../../drivers/nbd/mirror/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';

function scenario(rate: string): string {
  const server = (n: string) => `[[server]]\nname = "${n}"\ndisk = "ram"\n[[server.export]]\nname = "vol"\nsize = "4MiB"\n`;
  return `[scenario]
name = "resync"
${server('a')}${server('b')}${server('d')}
[nbd]
connection_pool_size = 1
local_cache_size = 0
read_ahead_size = 0
resync_rate = "${rate}"
resync_region_size = "64KiB"
servers = [{ name = "a", export = "vol" }, { name = "b", export = "vol" }]
exports = [{ name = "vol", mode = "mirror" }]

[[job]]
name = "r"
rw = "randread"
bs = "4KiB"
size = "1MiB"
iodepth = 1
ios = 20

[[at]]
time = "1ms"
action = "mgmt"
command = "nbd-server-add d 10809 vol"

[expect]
mirror_in_sync = true
`;
}

/** Runs until every replica is in sync; the resync of d: copies in flight at most at once, and start → rejoin. */
function resyncOf(rate: string): { peak: number; ns: number; bytes: number } {
  const w = buildWorld(parseScenario(scenario(rate), 'r.toml'), 1);
  let start = -1;
  let end = -1;
  w.engine.trace.subscribe((r) => {
    if (r.kind === 'mirror.resync.start' && start < 0) start = r.t;
    if (r.kind === 'mirror.rejoin') end = r.t;
  });
  runWorld(w);
  const m = w.nbds.get('nbd0')!.device.mirror!;
  expect(m.mirror.replicas[2]!.state).toBe('in-sync');
  return { peak: m.resync.peakInFlight, ns: end - start, bytes: m.resync.bytes };
}

describe('resync copies in flight', () => {
  it('at 1 Gbit/s a 64 KiB region takes 524 µs of the rate: one copy at a time, 4 MiB in no less than 33 ms', () => {
    const r = resyncOf('1Gbit');
    expect(r.bytes).toBe(4 * 2 ** 20);
    // 65536 B * 8 / 1e9 b/s = 524,288 ns per region, far above a READ + WRITE round trip on RAM disks.
    expect(r.peak).toBe(1);
    // The first region starts at once; the 63 others each 524,288 ns after the one before.
    expect(r.ns).toBeGreaterThanOrEqual(63 * 524_288);
  });

  it('at 400 Gbit/s (1.3 µs per region) the round trip bounds one copy at a time: several go at once, at most RESYNC_DEPTH', () => {
    const r = resyncOf('400Gbit');
    expect(r.bytes).toBe(4 * 2 ** 20);
    expect(r.peak).toBeGreaterThan(1);
    expect(r.peak).toBeLessThanOrEqual(RESYNC_DEPTH);
  });
});
