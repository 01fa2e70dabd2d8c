import { describe, expect, it } from 'vitest';
import { NetError } from '../../../kernel/net/index.ts';
import { ADDR_A, ADDR_B, Sink, firstDiff, pattern, twoHosts, writeAll } from './helpers/hosts.ts';

describe('TCP over a clean pipe', () => {
  it('connects, carries both directions exactly, and closes both ends', () => {
    const { engine, a, b } = twoHosts({});
    const up = pattern(300_000, 1);
    const down = pattern(123_457, 2);
    const atServer = new Sink();
    const atClient = new Sink();
    const events: string[] = [];
    const l = b.listen(80);
    l.onAccept = (s) => {
      s.onData = atServer.take;
      s.onEnd = () => {
        events.push('server-end');
        writeAll(s, down, () => s.close());
      };
      s.onClose = () => events.push('server-close');
    };
    const c = a.tcpSocket();
    c.onConnect = () => events.push('connect');
    c.onData = atClient.take;
    c.onEnd = () => {
      events.push('client-end');
      c.close();
    };
    c.onClose = () => events.push('client-close');
    c.connect(ADDR_B, 80);
    writeAll(c, up, () => c.shutdown());
    engine.run();
    expect(firstDiff(atServer.data(), up)).toBe(-1);
    expect(firstDiff(atClient.data(), down)).toBe(-1);
    // The client's close is complete when the server's FIN arrives (TIME_WAIT is the kernel's
    // business); the server's when the client's last ACK arrives, one link delay later.
    expect(events).toEqual(['connect', 'server-end', 'client-end', 'client-close', 'server-close']);
    expect(a.connections()).toHaveLength(0);
    expect(b.connections()).toHaveLength(0);
    expect(a.stats.tcpRetransSegs + b.stats.tcpRetransSegs).toBe(0);
    expect(a.stats.tcpDupAcks + b.stats.tcpDupAcks).toBe(0);
  });

  it('a connect to a port nobody listens on fails with ECONNREFUSED', () => {
    const { engine, a } = twoHosts({});
    const c = a.tcpSocket();
    const errors: string[] = [];
    c.onError = (e) => errors.push(e.code);
    c.connect(ADDR_B, 81);
    engine.run();
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(c.state).toBe('CLOSED');
  });

  it('an abort by the peer reaches the owner as ECONNRESET, and send then fails', () => {
    const { engine, a, b } = twoHosts({});
    b.listen(80).onAccept = (s) => {
      s.onData = () => s.abort();
    };
    const c = a.tcpSocket();
    const errors: string[] = [];
    let closed = 0;
    c.onError = (e) => errors.push(e.code);
    c.onClose = () => closed++;
    c.connect(ADDR_B, 80);
    c.send(pattern(10));
    engine.run();
    expect(errors).toEqual(['ECONNRESET']);
    expect(closed).toBe(1);
    expect(() => c.send(pattern(1))).toThrow(NetError);
  });

  it('a peer that vanishes mid-transfer is reported as ETIMEDOUT after the retries', () => {
    const { engine, a, b, wireB } = twoHosts({ tcp: { retries: 4 } });
    b.listen(80).onAccept = (s) => {
      s.onData = () => {
        wireB.up = false; // the server host dies after the first bytes
      };
    };
    const c = a.tcpSocket();
    const errors: string[] = [];
    c.onError = (e) => errors.push(e.code);
    c.connect(ADDR_B, 80);
    writeAll(c, pattern(200_000));
    engine.run();
    expect(errors).toEqual(['ETIMEDOUT']);
    // 1 + 4 retransmissions with RTOs 0.2, 0.4, 0.8, 1.6, 3.2 s after the loss: at least 6.2 s.
    expect(engine.now).toBeGreaterThan(6_000_000_000);
  });

  it('keepalive declares an idle, silent peer dead (ETIMEDOUT) and keeps a live one', () => {
    const { engine, a, b, wireB } = twoHosts({});
    b.listen(80).onAccept = () => {};
    const live = a.tcpSocket({ keepAlive: true, keepIdleNs: 1e9, keepIntervalNs: 1e8, keepCount: 3 });
    const errs: string[] = [];
    live.onError = (e) => errs.push(e.code);
    live.connect(ADDR_B, 80);
    engine.runUntil(10e9);
    expect(errs).toEqual([]);
    expect(live.state).toBe('ESTABLISHED');
    wireB.up = false;
    engine.runUntil(20e9);
    expect(errs).toEqual(['ETIMEDOUT']);
  });

  it('UDP datagrams arrive whole with their source', () => {
    const { engine, a, b } = twoHosts({});
    const got: [number[], number, number][] = [];
    const rx = b.udpSocket(5000);
    rx.onMessage = (d, from, port) => got.push([[...d], from, port]);
    const tx = a.udpSocket(4000);
    tx.sendTo(ADDR_B, 5000, new Uint8Array([1, 2, 3]));
    tx.sendTo(ADDR_B, 5001, new Uint8Array([9]));
    engine.run();
    expect(got).toEqual([[[1, 2, 3], ADDR_A, 4000]]);
    expect(b.stats.udpNoPorts).toBe(1);
    expect(() => tx.sendTo(ADDR_B, 5000, new Uint8Array(1473))).toThrow(/EMSGSIZE/);
  });
});
