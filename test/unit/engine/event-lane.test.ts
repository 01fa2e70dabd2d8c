import { describe, expect, it } from 'vitest';
import { Engine, RngStreams } from '../../../hw-sim/engine/index.ts';

/**
 * Runs the same random schedule twice: once with every lane event scheduled on its own, once
 * through lanes; the order of execution must be the same event for event.
 */
function order(useLanes: boolean, seed: number): string[] {
  const e = new Engine({ seed: 0 });
  const rng = new RngStreams(seed).get('lanes');
  const seen: string[] = [];
  const lastAt = [0, 0, 0];
  const lanes = [0, 1, 2].map((k) => e.lane(() => seen.push(`L${k}@${e.now}`), `lane${k}`));
  let left = 400;
  const step = (): void => {
    if (left-- <= 0) return;
    // A few lane posts (non-decreasing per lane, often equal to each other or to now) and a plain event.
    for (let i = 0; i < 3; i++) {
      const k = rng.int(3);
      const t = Math.max(lastAt[k]!, e.now + rng.int(4)) + rng.int(2);
      lastAt[k] = t;
      if (useLanes) lanes[k]!.post(t);
      else e.scheduleAt(t, () => seen.push(`L${k}@${e.now}`));
    }
    const t = e.now + rng.int(5);
    e.scheduleAt(t, () => {
      seen.push(`P@${e.now}`);
      step();
    });
  };
  step();
  e.run();
  return seen;
}

describe('event lanes', () => {
  it('run their events at exactly the place separately scheduled events would have had', () => {
    for (const seed of [1, 2, 3, 4]) {
      const plain = order(false, seed);
      expect(plain.length).toBeGreaterThan(1500);
      expect(order(true, seed)).toEqual(plain);
    }
  });

  it('count as pending, clear, and accept posts again after a clear', () => {
    const e = new Engine({ seed: 0 });
    const seen: number[] = [];
    const lane = e.lane(() => seen.push(e.now), 'x');
    lane.post(10);
    lane.post(10);
    lane.post(30);
    e.schedule(5, () => {});
    expect(e.pending).toBe(4);
    expect(lane.length).toBe(3);
    e.runUntil(10);
    expect(seen).toEqual([10, 10]);
    expect(e.pending).toBe(1);
    expect(lane.clear()).toBe(1);
    expect(e.pending).toBe(0);
    lane.post(20); // earlier than the cleared 30: a reset device starts over
    e.run();
    expect(seen).toEqual([10, 10, 20]);
    expect(e.now).toBe(20);
  });

  it('a callback may post to its own lane (empty or not) and clear it (a reset inside a completion)', () => {
    const e = new Engine({ seed: 0 });
    const seen: string[] = [];
    let lane: ReturnType<Engine['lane']> | null = null;
    lane = e.lane(() => {
      seen.push(`run@${e.now}`);
      if (e.now === 10) lane!.post(15); // the lane is empty now: its record goes back in
      if (e.now === 15) {
        lane!.post(40);
        lane!.post(50);
      }
      if (e.now === 40) expect(lane!.clear()).toBe(1); // the event at 50 is dropped
    }, 'self');
    lane.post(10);
    e.scheduleAt(15, () => seen.push('plain@15')); // scheduled before the lane's 15: runs first
    e.run();
    expect(seen).toEqual(['run@10', 'plain@15', 'run@15', 'run@40']);
    expect(e.pending).toBe(0);
    expect(e.now).toBe(40);
  });

  it('report their next event as the next event time, and stop a runUntil at its bound', () => {
    const e = new Engine({ seed: 0 });
    const seen: number[] = [];
    const lane = e.lane(() => seen.push(e.now), 'wire');
    lane.post(10);
    lane.post(20);
    lane.post(35);
    expect(e.nextEventTime()).toBe(10);
    e.step();
    // The lane's one queued record now stands for its event at 20.
    expect(e.nextEventTime()).toBe(20);
    e.runUntil(30);
    expect(seen).toEqual([10, 20]);
    expect(e.now).toBe(30);
    expect(e.nextEventTime()).toBe(35);
    e.runUntil(35);
    expect(seen).toEqual([10, 20, 35]);
    expect(e.nextEventTime()).toBeUndefined();
  });

  it('keep their place when plain events come and go around them (cancelled ones leave, others are placed again)', () => {
    const e = new Engine({ seed: 0 });
    const seen: string[] = [];
    const lane = e.lane(() => seen.push(`L@${e.now}`), 'wire');
    // Rounds of: a lane event, a plain event at the same time scheduled after it, and one cancelled.
    for (let round = 0; round < 50; round++) {
      const t = 10 * (round + 1);
      lane.post(t);
      e.scheduleAt(t, () => seen.push(`P@${e.now}`));
      e.cancel(e.scheduleAt(t - 5, () => seen.push('cancelled')));
      e.runUntil(t - 1);
    }
    e.run();
    const want: string[] = [];
    for (let round = 0; round < 50; round++) want.push(`L@${10 * (round + 1)}`, `P@${10 * (round + 1)}`);
    expect(seen).toEqual(want);
    expect(e.pending).toBe(0);
  });

  it('keep a long backlog in order across ring growth, interleaved with plain events and a far heap', () => {
    const e = new Engine({ seed: 0 });
    const seen: string[] = [];
    const lanes = [0, 1].map((k) => e.lane(() => seen.push(`L${k}@${e.now}`), `lane${k}`));
    const want: [number, number, string][] = [];
    let seq = 0;
    // 100 events a lane posted at once (the ring grows from 16), plain events between them and far ones.
    for (let i = 0; i < 100; i++) {
      for (const k of [0, 1]) {
        const t = 7 * i + 3 * k;
        lanes[k]!.post(t);
        want.push([t, seq++, `L${k}@${t}`]);
      }
      const tp = 7 * i + 1 + (i % 3) * 2_000_000;
      e.scheduleAt(tp, () => seen.push(`P@${e.now}`));
      want.push([tp, seq++, `P@${tp}`]);
    }
    e.run();
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(seen).toEqual(want.map((w) => w[2]));
  });

  it('refuses a time before its last event, in the past, or not an integer', () => {
    const e = new Engine({ seed: 0 });
    const lane = e.lane(() => {}, 'wire');
    lane.post(100);
    expect(() => lane.post(99)).toThrow(/'wire'.*before/);
    e.runUntil(200);
    expect(() => lane.post(150)).toThrow(/before now/);
    expect(() => lane.post(250.5)).toThrow(/safe integer/);
  });
});
