import { debounceTime, delay, firstValueFrom, interval, of, Subject, take, timeout, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { assign, raise, setup } from 'xstate';
import { createSimActor, Engine, EngineScheduler, ms } from '../../../hw-sim/engine/index.ts';

describe('rxjs EngineScheduler', () => {
  it('delay fires at the virtual time, with no real timer', () => {
    vi.useFakeTimers();
    try {
      const e = new Engine({ seed: 0 });
      const s = new EngineScheduler(e);
      const seen: number[] = [];
      of(1).pipe(delay(5, s)).subscribe(() => seen.push(e.now));
      expect(vi.getTimerCount()).toBe(0);
      e.run();
      expect(seen).toEqual([ms(5)]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('debounceTime and interval run in virtual time', () => {
    const e = new Engine({ seed: 0 });
    const s = new EngineScheduler(e);
    const src = new Subject<number>();
    const out: [number, number][] = [];
    src.pipe(debounceTime(10, s)).subscribe((v) => out.push([v, e.now]));
    e.scheduleAt(ms(0), () => src.next(1));
    e.scheduleAt(ms(4), () => src.next(2));
    e.scheduleAt(ms(30), () => src.next(3));
    const ticks: number[] = [];
    interval(7, s).pipe(take(3)).subscribe(() => ticks.push(e.now));
    e.run();
    expect(out).toEqual([[2, ms(14)], [3, ms(40)]]);
    expect(ticks).toEqual([ms(7), ms(14), ms(21)]);
  });

  it('timeout errors at the virtual deadline', () => {
    const e = new Engine({ seed: 0 });
    const s = new EngineScheduler(e);
    let errAt = -1;
    new Subject<number>().pipe(timeout({ first: 3, scheduler: s })).subscribe({ error: () => (errAt = e.now) });
    e.run();
    expect(errAt).toBe(ms(3));
  });

  it('a completed run leaves nothing pending for rxjs (firstValueFrom is not needed)', async () => {
    const e = new Engine({ seed: 0 });
    const s = new EngineScheduler(e);
    const p = firstValueFrom(interval(1, s).pipe(take(4), toArray()));
    e.run();
    expect(await p).toEqual([0, 1, 2, 3]);
    expect(e.pending).toBe(0);
  });
});

const blinker = setup({
  types: { context: {} as { blinks: number } },
  actions: {
    count: assign({ blinks: ({ context }) => context.blinks + 1 }),
    // A delayed raise with no id: xstate would give it a Math.random id.
    pokeLater: raise({ type: 'POKE' }, { delay: 2 }),
  },
}).createMachine({
  id: 'blinker',
  context: { blinks: 0 },
  initial: 'off',
  states: {
    off: { after: { 10: 'on' } },
    on: { entry: ['count', 'pokeLater'], on: { POKE: 'poked' } },
    poked: { after: { 5: 'off' } },
  },
});

describe('xstate on the engine clock', () => {
  it('after transitions and delayed raises fire in virtual time, traced under stable names', () => {
    const run = () => {
      const e = new Engine({ seed: 0 });
      const a = createSimActor(e, blinker, { name: 'dev0' });
      a.start();
      e.runUntil(ms(40));
      a.stop();
      return { e, blinks: a.getSnapshot().context.blinks, trace: [] as string[] };
    };
    const spy = vi.spyOn(Math, 'random');
    vi.useFakeTimers();
    try {
      const { e, blinks } = run();
      // off 10ms → on (poke after 2ms) → poked 5ms → off: a cycle of 17ms; at 40ms two cycles started.
      expect(blinks).toBe(2);
      expect(vi.getTimerCount()).toBe(0);
      expect(spy).not.toHaveBeenCalled();
      const d1 = e.trace.digest();
      expect(run().e.trace.digest()).toBe(d1);
    } finally {
      spy.mockRestore();
      vi.useRealTimers();
    }
  });

  it('trace names do not depend on process-wide session ids', () => {
    const names = (warmup: number) => {
      for (let i = 0; i < warmup; i++) createSimActor(new Engine({ seed: 0 }), blinker, { name: 'x' });
      const e = new Engine({ seed: 0 });
      const srcs: string[] = [];
      e.trace.subscribe((r) => srcs.push(`${r.src} ${JSON.stringify(r.data)}`));
      const a = createSimActor(e, blinker, { name: 'dev0' });
      a.start();
      e.runUntil(ms(20));
      return { srcs, digest: e.trace.digest() };
    };
    const a = names(0);
    const b = names(5);
    expect(a.srcs.length).toBeGreaterThan(2);
    expect(b).toEqual(a);
  });
});
