// The submission stage of latency is measured on its own: per request, from the NBD driver's
// queue_rq to the first byte of its request header leaving the client NIC. At queue depth 1 on
// an idle client (4 KiB reads: a 28-byte header in a packet of its own) nothing queues, so each
// request costs only the path itself; the network's 20 µs cable is not part of it. The NIC
// fetches the packet by DMA before the wire takes it: 500 ns per descriptor plus 68 bytes (IPv4
// 20 + TCP 20 + NBD header 28) at 7.8 GB/s = ceil(8.7) = 9 ns (scenarios/machine DEFAULT_NIC),
// so every request takes 509 ns.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { resultOf, runWorld } from '../../../scenarios/runner/run.ts';

const text = (limit: string, extra = '') => `[scenario]
name = "submit"
${extra}
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
submission_latency = { p99 = "${limit}" }
`;

describe('submission stage', () => {
  it('queue_rq to the first byte on the wire: the client path only', () => {
    const w = buildWorld(parseScenario(text('2ms'), 's.toml'), 1, { trace: false });
    runWorld(w);
    const r = resultOf(w);
    expect(r.passed).toBe(true);
    const s = w.submission!.histogram.summary();
    expect(s.count).toBe(200);
    expect(s.min).toBe(509);
    expect(s.max).toBe(509);
  });

  it('a limit below the path fails, naming the stage', () => {
    const w = buildWorld(parseScenario(text('10ns'), 's.toml'), 1, { trace: false });
    runWorld(w);
    const e = resultOf(w).expectations.find((x) => x.name === 'latency.submission.p99');
    expect(e).toMatchObject({ ok: false, limit: 10 });
  });
});
