import { describe, expect, it } from 'vitest';
import { Engine, EventQueue, RngStreams, assertNs, serialisationNs } from '../../../hw-sim/engine/index.ts';

function randomRun(seed: number): string {
  const e = new Engine({ seed });
  const rng = e.rng.get('test/workload');
  let remaining = 500;
  const tick = (id: number) => {
    e.trace.emit(`w${id}`, 'tick', { r: rng.int(1000) });
    if (remaining-- > 0) e.schedule(rng.int(10_000), () => tick(rng.int(4)), 'tick');
  };
  for (let i = 0; i < 4; i++) e.schedule(i, () => tick(i));
  e.run();
  return e.trace.digest();
}

describe('engine', () => {
  it('same seed gives the same digest, a different seed a different one', () => {
    expect(randomRun(1)).toBe(randomRun(1));
    expect(randomRun(1)).not.toBe(randomRun(2));
  });

  it('runs equal-time events in insertion order and advances time', () => {
    const e = new Engine({ seed: 0 });
    const seen: string[] = [];
    e.scheduleAt(100, () => seen.push('b1'));
    e.scheduleAt(50, () => seen.push('a'));
    e.scheduleAt(100, () => seen.push('b2'));
    e.scheduleAt(100, () => seen.push('b3'));
    e.run();
    expect(seen).toEqual(['a', 'b1', 'b2', 'b3']);
    expect(e.now).toBe(100);
  });

  it('cancels events and steps one at a time', () => {
    const e = new Engine({ seed: 0 });
    const seen: number[] = [];
    const h = e.schedule(10, () => seen.push(1));
    e.schedule(20, () => seen.push(2));
    expect(e.cancel(h)).toBe(true);
    expect(e.cancel(h)).toBe(false);
    expect(e.pending).toBe(1);
    expect(e.step()).toBe(true);
    expect(seen).toEqual([2]);
    expect(e.step()).toBe(false);
  });

  it('runUntil stops at the bound and sets the clock', () => {
    const e = new Engine({ seed: 0 });
    const seen: number[] = [];
    for (const t of [5, 10, 15]) e.scheduleAt(t, () => seen.push(t));
    e.runUntil(10);
    expect(seen).toEqual([5, 10]);
    expect(e.now).toBe(10);
    e.runUntil(12);
    expect(e.now).toBe(12);
  });

  it('rejects fractional, negative and past times', () => {
    const e = new Engine({ seed: 0 });
    expect(() => e.schedule(1.5, () => {})).toThrow(/safe integer/);
    expect(() => e.schedule(-1, () => {})).toThrow(/safe integer/);
    e.runUntil(100);
    expect(() => e.scheduleAt(50, () => {}, 'late')).toThrow(/already/);
    expect(() => assertNs(2 ** 60)).toThrow();
  });

  it('heap order matches a sort by (time, seq) for random input', () => {
    const q = new EventQueue();
    const rng = new RngStreams(7).get('heap');
    const want: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      const t = rng.int(100);
      const ev = q.push(t, () => {}, '');
      if (rng.chance(0.2)) q.cancel(ev);
      else want.push([t, ev.seq]);
    }
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const got: [number, number][] = [];
    for (let ev = q.pop(); ev; ev = q.pop()) got.push([ev.t, ev.seq]);
    expect(got).toEqual(want);
  });

  it('runs near and far events (beyond 1 ms ahead) in (time, seq) order as they are scheduled', () => {
    // Delays up to 5 ms from whenever an event runs: some land in the near heap, some in the far.
    const e = new Engine({ seed: 0 });
    const rng = new RngStreams(11).get('mix');
    const ran: [number, number][] = [];
    let scheduled = 0;
    const want: [number, number][] = [];
    const add = (): void => {
      const id = scheduled++;
      const delay = rng.chance(0.5) ? rng.int(2000) : rng.int(5_000_000);
      const t = e.now + delay;
      want.push([t, id]);
      const h = e.schedule(delay, () => {
        ran.push([e.now, id]);
        if (scheduled < 3000) {
          add();
          if (rng.chance(0.5)) add();
        }
      });
      if (rng.chance(0.1)) {
        e.cancel(h);
        want.pop();
      }
    };
    for (let i = 0; i < 50; i++) add();
    e.run();
    // Ids are given in scheduling order, so (time, id) is the engine's (time, seq) order.
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(ran).toEqual(want);
  });

  it('serialisation time is bits / rate', () => {
    // 1500 bytes at 10 Gbit/s = 12000 bits / 1e10 b/s = 1.2 µs
    expect(serialisationNs(1500, 10e9)).toBe(1200);
    // 64 bytes at 1 Gbit/s = 512 ns
    expect(serialisationNs(64, 1e9)).toBe(512);
  });
});

describe('rng streams', () => {
  it('a new stream leaves existing streams unchanged', () => {
    const a = new RngStreams(42);
    const xs = [a.get('nic0/loss').next(), a.get('nic0/loss').next()];
    const b = new RngStreams(42);
    b.get('new/stream').next();
    b.get('another').next();
    expect([b.get('nic0/loss').next(), b.get('nic0/loss').next()]).toEqual(xs);
  });

  it('streams of one seed differ by name and by seed', () => {
    const a = new RngStreams(1);
    const b = new RngStreams(2);
    expect(a.get('x').next()).not.toBe(a.get('y').next());
    expect(new RngStreams(1).get('x').next()).not.toBe(b.get('x').next());
  });
});
