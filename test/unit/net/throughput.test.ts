import { describe, expect, it } from 'vitest';
import { ETH_WIRE_OVERHEAD_BYTES, IPV4_HEADER_BYTES, TCP_HEADER_BYTES } from '../../../hw-sim/net/packet.ts';
import { ADDR_B, firstDiff, Sink, pattern, twoHosts, writeAll } from './helpers/hosts.ts';

const LINE_BPS = 10e9;
const MSS = 1500 - IPV4_HEADER_BYTES - TCP_HEADER_BYTES; // 1460
/**
 * The ceiling for goodput on Ethernet: each 1460-byte payload costs 1460 + 20 (IP) + 20 (TCP)
 * + 38 (preamble 8, MAC header 14, FCS 4, inter-frame gap 12) = 1538 bytes of wire time,
 * so goodput ≤ 1460 / 1538 = 94.93 % of the line rate.
 */
const CEILING = MSS / (MSS + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + ETH_WIRE_OVERHEAD_BYTES);

function bulk(loss: number, bytes: number, sampleFromNs: number, sampleToNs: number) {
  const h = twoHosts({ pipe: { rateBps: LINE_BPS, delayNs: 25_000, loss }, tcp: { sndBuf: 4 << 20, rcvBuf: 4 << 20 }, trace: false, seed: 42 });
  const sink = new Sink();
  let atFrom = -1;
  let atTo = -1;
  let doneNs = -1;
  h.b.listen(80).onAccept = (s) => {
    s.onData = (c) => {
      sink.take(c);
      if (sink.bytes === bytes) doneNs = h.engine.now;
    };
  };
  const c = h.a.tcpSocket();
  c.connect(ADDR_B, 80);
  const data = pattern(bytes, 3);
  writeAll(c, data);
  h.engine.runUntil(sampleFromNs);
  atFrom = sink.bytes;
  h.engine.runUntil(sampleToNs);
  atTo = sink.bytes;
  h.engine.run();
  return { goodputBps: ((atTo - atFrom) * 8 * 1e9) / (sampleToNs - sampleFromNs), sink, data, doneNs, h };
}

describe('TCP throughput on a 10 Gbit/s, 25 µs link', () => {
  it('one stream reaches ≥ 90 % of line rate once the window is open (ceiling 94.93 %)', () => {
    const r = bulk(0, 40_000_000, 5_000_000, 25_000_000);
    expect(CEILING).toBeCloseTo(0.9493, 4);
    expect(r.goodputBps).toBeGreaterThanOrEqual(0.9 * LINE_BPS);
    expect(r.goodputBps).toBeLessThanOrEqual(CEILING * LINE_BPS * 1.0001);
    expect(firstDiff(r.sink.data(), r.data)).toBe(-1);
  });

  it('with 1 % loss it degrades but completes with the exact bytes', () => {
    const clean = bulk(0, 4_000_000, 0, 1);
    const lossy = bulk(0.01, 4_000_000, 0, 1);
    expect(firstDiff(lossy.sink.data(), lossy.data)).toBe(-1);
    expect(lossy.doneNs).toBeGreaterThan(clean.doneNs);
    expect(lossy.h.a.stats.tcpRetransSegs).toBeGreaterThan(0);
  });
});
