import { describe, expect, it } from 'vitest';
import { ETH_WIRE_OVERHEAD_BYTES, IPV4_HEADER_BYTES, TCP_HEADER_BYTES } from '../../../hw-sim/net/packet.ts';
import { buildMachine } from '../../../scenarios/machine/index.ts';
import { ADDR_B, Sink, firstDiff, pattern, twoHosts, writeAll } from './helpers/hosts.ts';

const LINE_BPS = 10e9;
const ONE_WAY_NS = 25_000;
const LOSS = 0.01;
const BYTES = 8 << 20;
const MSS = 1500 - IPV4_HEADER_BYTES - TCP_HEADER_BYTES; // 1460

/**
 * Mathis et al. (1997): a loss-driven AIMD stream averages MSS/RTT · √(3/2)/√p.
 * RTT on the pipe = 2 × 25 µs propagation + one full frame serialised (1538 wire bytes at
 * 10 Gbit/s = 1.2304 µs) + its ACK (84 wire bytes = 0.0672 µs) = 51.2976 µs, so
 * rate = 1460 B / 51.2976 µs × 1.224745 / 0.1 = 348.58 MB/s, well under the line-rate ceiling
 * (10 Gbit/s × 1460/1538 = 1186.6 MB/s). The model assumes no timeouts; half of it is the bar:
 * a stream that waits out 200 ms RTOs (the old behaviour: ~1-4 MB/s) is two orders below.
 */
const RTT_NS = 2 * ONE_WAY_NS + ((MSS + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + ETH_WIRE_OVERHEAD_BYTES) * 8 * 1e9) / LINE_BPS + (84 * 8 * 1e9) / LINE_BPS;
const MATHIS_BPS = ((MSS / (RTT_NS / 1e9)) * Math.sqrt(1.5)) / Math.sqrt(LOSS);

/**
 * The same bound over the machine (DEFAULT_NIC; both hosts on 10 Gbit/s, 25 µs links to one
 * switch), with every unqueued delay of a full frame and its ACK at its worst:
 *   propagation          4 links × 25 µs                                   = 100 µs
 *   serialisation        2 hops × (1538 + 84) B at 10 Gbit/s               =   2.5952 µs
 *   DMA                  4 × 500 ns setup + (1514 + 66) B × 2 / 7.8 GB/s   =   2.4051 µs
 *   CPU                  2 × (rx 1000 ns + tx 500 ns)                      =   3 µs
 *   rx IRQ coalescing    ≤ 10 µs at each receiver                          =  20 µs
 * RTT ≤ 128.0 µs, so the Mathis rate is ≥ 1460 B / 128.0 µs × 1.224745 / 0.1 = 139.7 MB/s.
 */
const MACHINE_RTT_NS = 4 * ONE_WAY_NS + (2 * (1538 + 84) * 8 * 1e9) / LINE_BPS + 4 * 500 + (2 * (1514 + 66) * 1e9) / 7.8e9 + 2 * (1000 + 500) + 2 * 10_000;
const MACHINE_MATHIS_BPS = ((MSS / (MACHINE_RTT_NS / 1e9)) * Math.sqrt(1.5)) / Math.sqrt(LOSS);

function lossyPipe(seed: number) {
  const h = twoHosts({ pipe: { rateBps: LINE_BPS, delayNs: ONE_WAY_NS, loss: LOSS }, tcp: { sndBuf: 4 << 20, rcvBuf: 4 << 20 }, trace: false, seed });
  const sink = new Sink();
  let doneNs = -1;
  h.b.listen(80).onAccept = (s) => {
    s.onData = (c) => {
      sink.take(c);
      if (sink.bytes === BYTES) doneNs = h.engine.now;
    };
  };
  const c = h.a.tcpSocket();
  c.connect(ADDR_B, 80);
  const data = pattern(BYTES, seed);
  writeAll(c, data);
  h.engine.run();
  return { goodput: (BYTES * 1e9) / doneNs, stats: h.a.stats, same: firstDiff(sink.data(), data) };
}

describe('TCP loss recovery at 1 % random loss, 10 Gbit/s, 25 µs one way', () => {
  it('the Mathis estimate is 348.6 MB/s here, 139.7 MB/s over the machine', () => {
    expect(RTT_NS).toBeCloseTo(51_297.6, 1);
    expect(MATHIS_BPS / 1e6).toBeCloseTo(348.58, 1);
    expect(MACHINE_RTT_NS).toBeCloseTo(128_000.3, 0);
    expect(MACHINE_MATHIS_BPS / 1e6).toBeCloseTo(139.7, 1);
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: losses are repaired by fast retransmit, not timeouts, at ≥ half the Mathis rate`, () => {
      const r = lossyPipe(seed);
      expect(r.same).toBe(-1);
      // ~1 % of ~5800 frames are lost: dozens of fast retransmits; timeouts at most a tenth of them.
      expect(r.stats.tcpFastRetransmits).toBeGreaterThan(20);
      expect(r.stats.tcpTimeouts * 10).toBeLessThanOrEqual(r.stats.tcpFastRetransmits);
      expect(r.goodput).toBeGreaterThanOrEqual(0.5 * MATHIS_BPS);
    });
  }

  it('over the machine (NICs, switch, TSO chunks split only where a frame is lost) timeouts stay rare, goodput ≥ half the Mathis rate', () => {
    const link = { rateBps: LINE_BPS, propagationNs: ONE_WAY_NS, impairments: { loss: LOSS } };
    for (const seed of [1, 2, 3]) {
      const m = buildMachine(
        { hosts: [{ name: 'client', role: 'client', ip: '10.0.0.1', link }, { name: 'server', role: 'server', ip: '10.0.0.2', link }] },
        { seed, trace: false },
      );
      const server = m.host('server');
      let got = 0;
      let doneNs = -1;
      server.net.listen(80).onAccept = (s) => {
        s.onData = (c) => {
          got += c.length;
          if (got === BYTES) {
            doneNs = m.engine.now;
            m.engine.stop();
          }
        };
      };
      const c = m.client!.net.tcpSocket();
      c.connect(server.ip, 80);
      writeAll(c, pattern(BYTES, seed));
      m.engine.run();
      const st = m.client!.net.stats;
      expect(got).toBe(BYTES);
      // ~58 frames lost each way: repaired by retransmissions that are not timeouts (one long
      // NewReno recovery may repair many of them through partial ACKs after one fast retransmit).
      expect(st.tcpFastRetransmits).toBeGreaterThan(0);
      expect(st.tcpRetransSegs).toBeGreaterThan(20);
      expect(st.tcpTimeouts * 10).toBeLessThanOrEqual(st.tcpRetransSegs);
      // The pipe's bar, at the machine's worst unqueued RTT.
      expect((BYTES * 1e9) / doneNs).toBeGreaterThanOrEqual(0.5 * MACHINE_MATHIS_BPS);
    }
  });
});
