// The network stage of latency is measured on its own: per packet, NIC to NIC. With a 20 µs ±1 µs
// server cable, a zero-delay client cable at 25 Gbit/s and packets of at most one 4 KiB reply in
// 3 frames (~4.3 kB, ~1.4 µs per cable), every packet takes between 19 µs and ~24 µs (+ switch).
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { resultOf, runWorld } from '../../../scenarios/runner/run.ts';

const text = (limit: string) => `[scenario]
name = "net"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "16MiB"
prefill = "pattern"
[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "20us"
jitter = "1us"
[nbd]
connection_pool_size = 1
local_cache_size = 0
read_ahead_size = 0
[[job]]
name = "r"
rw = "randread"
bs = "4KiB"
ios = 200
[expect]
network_latency = { p99 = "${limit}" }
`;

describe('network stage', () => {
  it('per packet NIC to NIC: propagation, serialisation and switch, nothing of the hosts', () => {
    const w = buildWorld(parseScenario(text('1ms'), 'n.toml'), 1, { trace: false });
    runWorld(w);
    const r = resultOf(w);
    expect(r.passed).toBe(true);
    const s = w.network!.histogram.summary();
    expect(s.count).toBeGreaterThan(400); // 200 requests and 200 replies at least
    expect(s.min).toBeGreaterThanOrEqual(19_000);
    expect(s.max).toBeLessThan(26_000);
  });

  it('a limit below the wire time fails, naming the stage', () => {
    const w = buildWorld(parseScenario(text('10us'), 'n.toml'), 1, { trace: false });
    runWorld(w);
    const e = resultOf(w).expectations.find((x) => x.name === 'latency.network.p99');
    expect(e).toMatchObject({ ok: false, limit: 10_000 });
  });
});
