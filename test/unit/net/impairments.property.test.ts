import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADDR_B, Sink, firstDiff, pattern, twoHosts, writeAll } from './helpers/hosts.ts';

/**
 * The byte stream is exact under any mix of loss, reordering, duplication and corruption, in both
 * directions, with small receive buffers (flow control) and initial sequence numbers close to the
 * 32-bit wrap. The expectation is the sent bytes themselves.
 */
describe('TCP under seeded impairments (property)', () => {
  it('delivers exactly the bytes sent, both ways, and closes cleanly', () => {
    const settings = fc.record({
      seed: fc.integer({ min: 0, max: 1_000_000 }),
      loss: fc.double({ min: 0, max: 0.15, noNaN: true }),
      dup: fc.double({ min: 0, max: 0.1, noNaN: true }),
      reorder: fc.double({ min: 0, max: 0.2, noNaN: true }),
      corrupt: fc.double({ min: 0, max: 0.1, noNaN: true }),
      up: fc.integer({ min: 0, max: 60_000 }),
      down: fc.integer({ min: 0, max: 12_000 }),
      rcvBuf: fc.integer({ min: 3_000, max: 70_000 }),
      issA: fc.integer({ min: 0, max: 0xffffffff }),
      nearWrap: fc.boolean(),
      delayedAck: fc.boolean(),
      mtu: fc.constantFrom(576, 1500, 9000),
    });
    const total = { retrans: 0, csumDrops: 0, dupAcks: 0, fastRtx: 0, timeouts: 0, wrapped: 0 };
    fc.assert(
      fc.property(settings, (c) => {
        const issA = c.nearWrap ? (0x100000000 - 1 - (c.issA % 20_000)) >>> 0 : c.issA;
        const { engine, a, b } = twoHosts({
          seed: c.seed,
          pipe: { rateBps: 1e9, delayNs: 20_000, loss: c.loss, dup: c.dup, reorder: c.reorder, corrupt: c.corrupt, reorderDelayNs: 60_000, mtu: c.mtu },
          tcp: { rcvBuf: c.rcvBuf, minRtoNs: 5_000_000, delayedAckNs: c.delayedAck ? 40_000_000 : 0 },
          issA: () => issA,
          issB: () => 0xffffffff - issA,
          trace: false,
        });
        const up = pattern(c.up, c.seed);
        const down = pattern(c.down, c.seed + 1);
        const atServer = new Sink();
        const atClient = new Sink();
        const errors: string[] = [];
        let closes = 0;
        b.listen(80).onAccept = (s) => {
          s.onData = atServer.take;
          s.onError = (e) => errors.push(`server ${e.code}`);
          s.onClose = () => closes++;
          s.onEnd = () => writeAll(s, down, () => s.close());
        };
        const cl = a.tcpSocket();
        cl.onData = atClient.take;
        cl.onError = (e) => errors.push(`client ${e.code}`);
        cl.onClose = () => closes++;
        cl.onEnd = () => cl.close();
        cl.connect(ADDR_B, 80);
        writeAll(cl, up, () => cl.shutdown());
        engine.run(2_000_000);
        expect(errors).toEqual([]);
        expect(firstDiff(atServer.data(), up)).toBe(-1);
        expect(firstDiff(atClient.data(), down)).toBe(-1);
        expect(closes).toBe(2);
        if (c.corrupt === 0) expect(a.stats.tcpChecksumDrops + b.stats.tcpChecksumDrops).toBe(0);
        for (const st of [a.stats, b.stats]) {
          total.retrans += st.tcpRetransSegs;
          total.csumDrops += st.tcpChecksumDrops;
          total.dupAcks += st.tcpDupAcks;
          total.fastRtx += st.tcpFastRetransmits;
          total.timeouts += st.tcpTimeouts;
        }
        if (issA + c.up + 1 > 0xffffffff) total.wrapped++;
      }),
      { numRuns: 250, seed: 20260425 },
    );
    // The runs really exercised recovery: every mechanism fired somewhere.
    expect(total.retrans).toBeGreaterThan(100);
    expect(total.csumDrops).toBeGreaterThan(10);
    expect(total.fastRtx).toBeGreaterThan(10);
    expect(total.timeouts).toBeGreaterThan(10);
    expect(total.wrapped).toBeGreaterThan(10);
  });

  it('counts corrupted segments as checksum drops and still delivers', () => {
    const { engine, a, b } = twoHosts({ pipe: { rateBps: 1e9, delayNs: 20_000, corrupt: 0.05 }, tcp: { minRtoNs: 5_000_000 } });
    const up = pattern(200_000, 7);
    const sink = new Sink();
    b.listen(80).onAccept = (s) => {
      s.onData = sink.take;
    };
    const c = a.tcpSocket();
    c.connect(ADDR_B, 80);
    writeAll(c, up);
    engine.runUntil(60e9);
    expect(firstDiff(sink.data(), up)).toBe(-1);
    // 200 kB are ~137 full frames; at 5 % some are corrupted for sure (P(none) = 0.95^137 < 0.1 %).
    expect(b.stats.tcpChecksumDrops).toBeGreaterThan(0);
    expect(a.stats.tcpRetransSegs).toBeGreaterThan(0);
  });
});
