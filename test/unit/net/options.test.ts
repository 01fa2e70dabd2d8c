import { describe, expect, it } from 'vitest';
import { NetError } from '../../../kernel/net/index.ts';
import { parseIp } from '../../../hw-sim/net/packet.ts';
import { ADDR_B, pattern, twoHosts } from './helpers/hosts.ts';

const S = 1_000_000_000;

/** Data frames the client puts on the wire after the handshake: [time, payload bytes]. */
function clientDataFrames(opts: { noDelay?: boolean; cork?: boolean }, act: (send: (n: number) => void, h: ReturnType<typeof twoHosts>, c: import('../../../kernel/net/index.ts').TcpSocket) => void) {
  const frames: [number, number][] = [];
  const h = twoHosts({ tap: (from, p, t) => from === 'a' && p.payload.length > 0 && frames.push([t, p.payload.length]), tcp: { delayedAckNs: 0 } });
  h.b.listen(80).onAccept = (s) => {
    s.onData = () => {};
  };
  const c = h.a.tcpSocket(opts);
  c.connect(ADDR_B, 80);
  h.engine.runUntil(S);
  act((n) => c.send(pattern(n)), h, c);
  h.engine.run();
  return frames.map(([t, n]) => [t - S, n]);
}

describe('socket options', () => {
  // The pipe: 1 Gbit/s, 10 µs one way. A 100-byte segment is 178 wire bytes = 1424 ns; its ACK
  // (84 wire bytes incl. padding = 672 ns) returns at 1424 + 10000 + 672 + 10000 = 22096 ns.
  it('Nagle holds a second small segment until the first is acknowledged', () => {
    const frames = clientDataFrames({}, (send) => {
      send(100);
      send(100);
    });
    expect(frames).toEqual([
      [0, 100],
      [22_096, 100],
    ]);
  });

  it('TCP_NODELAY sends both at once, back to back', () => {
    const frames = clientDataFrames({ noDelay: true }, (send) => {
      send(100);
      send(100);
    });
    expect(frames).toEqual([
      [0, 100],
      [1424, 100],
    ]);
  });

  it('cork holds partial segments until uncork, full segments go at once', () => {
    const frames = clientDataFrames({ cork: true, noDelay: true }, (send, h, c) => {
      send(100);
      send(1500); // 1600 queued: one full 1460-byte segment may go, 140 wait
      h.engine.runUntil(2 * S);
      c.setCork(false);
    });
    expect(frames.map(([, n]) => n)).toEqual([1460, 140]);
    expect(frames[1]![0]).toBe(S); // the tail left exactly at uncork
  });
});

describe('routing', () => {
  it('has the connected route only: other networks are unreachable until a static route is added', () => {
    const h = twoHosts({});
    const far = parseIp('192.168.7.9');
    const c = h.a.tcpSocket();
    expect(() => c.connect(far, 80)).toThrow(NetError);
    expect(() => c.connect(far, 80)).toThrow(/ENETUNREACH/);
    h.a.addRoute('0.0.0.0', 0, '10.0.0.1'); // default route through the one NIC
    expect(h.a.route(far)?.localAddr).toBe(parseIp('10.0.0.1'));
    const d = h.a.tcpSocket();
    const errs: string[] = [];
    d.onError = (e) => errs.push(e.code);
    d.connect(far, 80); // leaves through the NIC; nobody answers
    h.engine.runUntil(200 * S);
    expect(errs).toEqual(['ETIMEDOUT']);
  });
});
