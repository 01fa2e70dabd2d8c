import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { Switch } from '../../../hw-sim/net/switch.ts';
import { parseIp } from '../../../hw-sim/net/packet.ts';
import { A, B, Recorder, tcp, udp } from './net-helpers.ts';

function star(inRate: number, outRate: number, queueFrames: number) {
  const e = new Engine({ seed: 1 });
  const sw = new Switch(e, 'fabric', { ports: 4, queueFrames });
  const la = new Link(e, 'fabric', { name: 'a', rateBps: inRate, propagationNs: 1_000 });
  const lb = new Link(e, 'fabric', { name: 'b', rateBps: outRate, propagationNs: 1_000 });
  sw.connect(0, la, 'b');
  sw.connect(1, lb, 'b');
  sw.addRoute(A, 0);
  sw.addRoute(B, 1);
  const atB = new Recorder(e);
  lb.attach('a', atB);
  la.attach('a', new Recorder(e));
  return { e, sw, la, lb, atB };
}

describe('switch', () => {
  it('forwards by destination IP and counts unroutable frames', () => {
    const { e, sw, la, atB } = star(1e9, 1e9, 16);
    la.transmit('a', udp(100, A, B));
    la.transmit('a', udp(100, A, parseIp('10.9.9.9')));
    e.run();
    expect(atB.got.length).toBe(1);
    expect(sw.stats(0).noRoute).toBe(1);
    // 166 wire bytes at 1 Gb/s = 1328 ns per hop, + 1000 ns propagation per hop.
    expect(atB.got[0]!.t).toBe(2 * (1_328 + 1_000));
  });

  it('forwards by the routes of the moment: one added or moved after traffic takes effect', () => {
    const { e, sw, la, atB } = star(1e9, 1e9, 16);
    const c = parseIp('10.9.9.9');
    la.transmit('a', udp(100, A, c)); // no route yet
    e.run();
    sw.addRoute(c, 1);
    la.transmit('a', udp(100, A, c)); // now to port 1
    e.run();
    sw.addRoute(c, 2); // port 2 has no link: unroutable again
    la.transmit('a', udp(100, A, c));
    la.transmit('a', udp(100, A, B));
    e.run();
    expect(atB.got.map((g) => g.p.dst)).toEqual([c, B]);
    expect(sw.stats(0).noRoute).toBe(2);
  });

  it('tail-drops when the output queue is full', () => {
    // 10 Gb/s in, 1 Gb/s out, queue of 4 frames. In: 1066 B → 853 ns; out: 8528 ns.
    // Frames 1..4 are queued before frame 1 finishes at 853+1000+8528; frames 5..10 arrive by
    // 10·853+1000 = 9530 < 10381 and find 4 queued: dropped.
    const { e, sw, la, atB } = star(10e9, 1e9, 4);
    for (let i = 0; i < 10; i++) la.transmit('a', udp(1000, A, B));
    e.run();
    expect(atB.got.length).toBe(4);
    expect(sw.stats(1).drops).toBe(6);
    expect(atB.got.map((g) => g.t)).toEqual([1, 2, 3, 4].map((k) => 853 + 1_000 + k * 8_528 + 1_000));
    expect(sw.queueDepth(1)).toBe(0);
  });

  it('forwards a TSO chunk frame by frame (no store-and-forward of the whole chunk)', () => {
    const { e, la, atB } = star(1e9, 1e9, 64);
    // 10 frames of 1448: frame = 1448 + 40 + 38 = 1526 B = 12208 ns; chunk = 15260 B = 122080 ns.
    la.transmit('a', tcp(new Uint8Array(14_480), 0, 1_448));
    e.run();
    // Egress starts once the first frame is in: 12208 + 1000; the chunk then takes 122080 + 1000.
    expect(atB.got.map((g) => g.t)).toEqual([12_208 + 1_000 + 122_080 + 1_000]);
  });

  it('keeps the head of a chunk that only partly fits', () => {
    const { e, sw, la, atB } = star(1e9, 1e9, 3);
    la.transmit('a', tcp(new Uint8Array(14_480), 0, 1_448));
    e.run();
    expect(atB.got[0]!.p.payload.length).toBe(3 * 1_448);
    expect(sw.stats(1).drops).toBe(7);
  });
});
