import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { Recorder, udp } from './net-helpers.ts';

function setup(cfg: { jitterNs?: number; seed?: number } = {}) {
  const e = new Engine({ seed: cfg.seed ?? 1 });
  const link = new Link(e, 'fabric', { name: 'l0', rateBps: 1e9, propagationNs: 5_000, jitterNs: cfg.jitterNs ?? 0 });
  const atB = new Recorder(e), atA = new Recorder(e);
  link.attach('b', atB);
  link.attach('a', atA);
  return { e, link, atA, atB };
}

// UDP 1000-byte payload: 1000 + 8 UDP + 20 IP + 38 Ethernet framing = 1066 bytes = 8528 bits
// → 8528 ns at 1 Gb/s.
const SER = 8_528;

describe('link', () => {
  it('serialisation takes bits / rate exactly and propagation is added exactly', () => {
    const { e, link, atB } = setup();
    const end = link.transmit('a', udp(1000));
    expect(end).toBe(SER);
    e.run();
    expect(atB.got.map((g) => g.t)).toEqual([SER + 5_000]);
  });

  it('a back-to-back burst leaves the wire at multiples of the serialisation time', () => {
    const { e, link, atB } = setup();
    const ends = [0, 1, 2, 3, 4].map(() => link.transmit('a', udp(1000)));
    expect(ends).toEqual([1, 2, 3, 4, 5].map((k) => k * SER));
    e.run();
    expect(atB.got.map((g) => g.t)).toEqual([1, 2, 3, 4, 5].map((k) => k * SER + 5_000));
  });

  it('directions serialise independently (full duplex)', () => {
    const { e, link, atA, atB } = setup();
    link.transmit('a', udp(1000));
    link.transmit('b', udp(1000));
    e.run();
    expect(atB.got[0]!.t).toBe(SER + 5_000);
    expect(atA.got[0]!.t).toBe(SER + 5_000);
  });

  it('jitter is bounded, seeded, and keeps order', () => {
    const run = (seed: number) => {
      const { e, link, atB } = setup({ jitterNs: 2_000, seed });
      for (let i = 0; i < 200; i++) e.scheduleAt(i * 20_000, () => link.transmit('a', udp(1000)));
      e.run();
      return atB.got.map((g, i) => g.t - (i * 20_000 + SER + 5_000));
    };
    const extra = run(3);
    expect(Math.min(...extra)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...extra)).toBeLessThanOrEqual(2_000);
    expect(new Set(extra).size).toBeGreaterThan(50);
    expect(run(3)).toEqual(extra);
    expect(run(4)).not.toEqual(extra);
  });

  it('one-way partition drops only that direction; link down drops both; both change at any time', () => {
    const { e, link, atA, atB } = setup();
    const sendBoth = (t: number) => e.scheduleAt(t, () => {
      link.transmit('a', udp(100));
      link.transmit('b', udp(100));
    });
    sendBoth(0);
    e.scheduleAt(100_000, () => link.setImpairments({ partition: 'a->b' }));
    sendBoth(200_000);
    e.scheduleAt(300_000, () => link.setImpairments({ partition: 'none', up: false }));
    sendBoth(400_000);
    e.scheduleAt(500_000, () => link.setImpairments({ up: true }));
    sendBoth(600_000);
    e.run();
    const epochs = (r: Recorder) => r.got.map((g) => Math.floor(g.t / 200_000) * 200_000);
    expect(epochs(atB)).toEqual([0, 600_000]);
    expect(epochs(atA)).toEqual([0, 200_000, 600_000]);
    expect(link.stats('a->b').blocked).toBe(2);
    expect(link.stats('b->a').blocked).toBe(1);
  });

  it('a change takes effect for frames arriving after it, even if sent before', () => {
    const { e, link, atB } = setup();
    link.transmit('a', udp(1000)); // arrives at 13528
    e.scheduleAt(10_000, () => link.setImpairments({ partition: 'both' }));
    e.run();
    expect(atB.got).toEqual([]);
  });

  it('rejects bad impairments with the field named', () => {
    const { link } = setup();
    expect(() => link.setImpairments({ loss: 1.5 })).toThrow(/'loss'/);
    expect(() => link.setImpairments({ partition: 'x' as never })).toThrow(/'partition'/);
  });
});
