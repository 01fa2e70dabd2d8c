import { describe, expect, it } from 'vitest';
import { TCP_SYN, type Packet } from '../../../hw-sim/net/packet.ts';
import { ADDR_B, firstDiff, pattern, twoHosts, writeAll } from './helpers/hosts.ts';

const S = 1_000_000_000;

describe('TCP retransmission timer (RFC 6298)', () => {
  it('SYN retransmissions back off 1, 2, 4, 8, 16, 32 s, then ETIMEDOUT at 127 s', () => {
    const synTimes: number[] = [];
    const h = twoHosts({ tap: (from, p, t) => from === 'a' && p.tcp!.flags & TCP_SYN && synTimes.push(t) });
    h.wireB.up = false;
    const c = h.a.tcpSocket();
    let err = '';
    let errAt = -1;
    c.onError = (e) => {
      err = e.code;
      errAt = h.engine.now;
    };
    c.connect(ADDR_B, 80);
    h.engine.run();
    // initial RTO 1 s (5.7 of RFC 6298), doubled at every expiry (5.5); 6 retries like Linux.
    expect(synTimes).toEqual([0, 1, 3, 7, 15, 31, 63].map((s) => s * S));
    expect(err).toBe('ETIMEDOUT');
    expect(errAt).toBe(127 * S);
  });

  it('data retransmissions double the RTO each time, from the measured RTO', () => {
    const sent = new Map<number, number[]>();
    const h = twoHosts({
      tap: (from, p, t) => {
        if (from !== 'a' || p.payload.length === 0) return;
        const l = sent.get(p.tcp!.seq) ?? [];
        l.push(t);
        sent.set(p.tcp!.seq, l);
      },
      tcp: { retries: 5, delayedAckNs: 0 },
    });
    h.b.listen(80).onAccept = () => {};
    const c = h.a.tcpSocket({ noDelay: true });
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    c.send(pattern(100));
    h.engine.runUntil(2 * S); // acknowledged: an RTT sample of ~20 µs ⇒ RTO clamps to 200 ms
    expect(c.info().rtoNs).toBe(200_000_000);
    h.wireB.up = false;
    c.send(pattern(100));
    h.engine.run();
    const times = [...sent.values()].find((l) => l.length > 1)!;
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([0.2, 0.4, 0.8, 1.6, 3.2].map((s) => s * S));
  });
});

describe('fast retransmit', () => {
  it('fires on exactly the third duplicate ACK, without waiting for the timer', () => {
    const h = twoHosts({ tcp: { delayedAckNs: 0 } });
    let lostSeq = -1;
    let dataFrames = 0;
    let dupAcksSeen = 0;
    const retransmitAfterDups: number[] = [];
    h.wireA.filter = (f: Packet) => {
      if (f.payload.length === 0) return true;
      dataFrames++;
      if (dataFrames === 5) {
        lostSeq = f.tcp!.seq; // lose the fifth data segment, once
        return false;
      }
      if (f.tcp!.seq === lostSeq) retransmitAfterDups.push(dupAcksSeen);
      return true;
    };
    // Count the duplicate ACKs that reach the sender.
    const ifaceA = h.wireA.iface!;
    h.wireA.iface = {
      ...ifaceA,
      receive: (p: Packet) => {
        if (p.payload.length === 0 && p.tcp!.ack === lostSeq) dupAcksSeen++;
        ifaceA.receive(p);
      },
    };
    let got = 0;
    h.b.listen(80).onAccept = (s) => {
      s.onData = (c) => (got += c.length);
    };
    const c = h.a.tcpSocket({ noDelay: true });
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    for (let i = 0; i < 10; i++) c.send(pattern(1460, i)); // ten segments, the window allows all
    h.engine.run();
    // The first ACK naming lostSeq acknowledges segment 4 (new data); the retransmission must
    // follow the third duplicate of it, so 1 + 3 ACKs had arrived, not 1 + 2 and not 1 + 5.
    expect(retransmitAfterDups).toEqual([4]);
    expect(h.a.stats.tcpFastRetransmits).toBe(1);
    expect(h.a.stats.tcpTimeouts).toBe(0);
    expect(got).toBe(14_600);
  });
});

describe('limited transmit (RFC 3042)', () => {
  it('the first two duplicate ACKs each release one new segment beyond the window', () => {
    const h = twoHosts({ tcp: { delayedAckNs: 0, initCwndSegs: 4 } });
    const dataSegs: number[] = []; // segment index (relative sequence / MSS) of each data frame
    let base = -1;
    h.wireA.filter = (f: Packet) => {
      if (f.payload.length === 0) return true;
      if (base < 0) base = f.tcp!.seq;
      dataSegs.push(((f.tcp!.seq - base) >>> 0) / 1460);
      return dataSegs.length !== 1; // the very first data segment is lost
    };
    h.b.listen(80).onAccept = (s) => {
      s.onData = () => {};
    };
    const c = h.a.tcpSocket({ noDelay: true });
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    c.send(pattern(8 * 1460));
    h.engine.run();
    // cwnd 4: segments 0-3 go; 0 is lost; the duplicates for 1 and 2 release segments 4 and 5;
    // the third duplicate (for 3) retransmits 0.
    expect(dataSegs.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 0]);
    expect(h.a.stats.tcpFastRetransmits).toBe(1);
    expect(h.a.stats.tcpTimeouts).toBe(0);
  });
});

describe('early retransmit (RFC 5827)', () => {
  it('three segments out, the first lost, nothing more to send: two duplicate ACKs suffice', () => {
    const h = twoHosts({ tcp: { delayedAckNs: 0 } });
    let dataFrames = 0;
    let lostSeq = -1;
    let retransmitAt = -1;
    h.wireA.filter = (f: Packet) => {
      if (f.payload.length === 0) return true;
      dataFrames++;
      if (dataFrames === 2) {
        lostSeq = f.tcp!.seq;
        return false;
      }
      if (f.tcp!.seq === lostSeq) retransmitAt = h.engine.now;
      return true;
    };
    h.b.listen(80).onAccept = (s) => {
      s.onData = () => {};
    };
    const c = h.a.tcpSocket({ noDelay: true });
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    c.send(pattern(100)); // a first exchange: the peer's full window is known
    h.engine.runUntil(2 * S);
    c.send(pattern(3 * 1460)); // one offload packet of three segments
    h.engine.run();
    // Two duplicates come back one RTT (~2 x 10 µs + serialisation) after the send, far
    // before the 200 ms minimum RTO.
    expect(retransmitAt - 2 * S).toBeGreaterThan(20_000);
    expect(retransmitAt - 2 * S).toBeLessThan(100_000);
    expect(h.a.stats.tcpFastRetransmits).toBe(1);
    expect(h.a.stats.tcpTimeouts).toBe(0);
  });
});

describe('flow control', () => {
  it('a receiver that stops reading stalls the sender at the advertised window, and it resumes', () => {
    const rcvBuf = 65_536;
    const h = twoHosts({ tcp: { rcvBuf } });
    let server: import('../../../kernel/net/index.ts').TcpSocket | null = null;
    h.b.listen(80).onAccept = (s) => {
      server = s; // read-into mode, and nobody reads
    };
    const data = pattern(1_000_000, 9);
    const c = h.a.tcpSocket();
    c.connect(ADDR_B, 80);
    let finished = false;
    writeAll(c, data, () => (finished = true));
    h.engine.runUntil(2 * S);
    const s = server!;
    expect(s.readable).toBe(rcvBuf);
    expect(c.info().sndWnd).toBe(0);
    expect(c.info().unsent + c.info().inFlight).toBe(1_000_000 - rcvBuf);
    h.engine.runUntil(30 * S); // zero-window probes go on; nothing more is accepted
    expect(s.readable).toBe(rcvBuf);
    expect(c.state).toBe('ESTABLISHED');
    const out = new Uint8Array(data.length);
    let n = 0;
    s.onReadable = () => {
      n += s.read(out, n);
    };
    n += s.read(out, n);
    h.engine.runUntil(40 * S);
    expect(finished).toBe(true);
    expect(n).toBe(data.length);
    expect(firstDiff(out, data)).toBe(-1);
  });
});
