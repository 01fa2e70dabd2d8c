import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { TimerDevice } from '../../../hw-sim/timer/index.ts';

describe('timer device', () => {
  it('fires a one-shot timer once at now + delay', () => {
    const e = new Engine({ seed: 1 });
    const t = new TimerDevice(e, 'h');
    const at: number[] = [];
    e.runUntil(500);
    t.arm(1_000, () => at.push(t.now()));
    e.run();
    expect(at).toEqual([1_500]);
    expect(t.active).toBe(0);
  });

  it('fires a periodic timer at exact multiples and stops when cancelled from its callback', () => {
    const e = new Engine({ seed: 1 });
    const t = new TimerDevice(e, 'h');
    const at: number[] = [];
    const id = t.armPeriodic(333, () => {
      at.push(t.now());
      if (at.length === 4) t.cancel(id);
    });
    e.run();
    expect(at).toEqual([333, 666, 999, 1332]);
    expect(e.pending).toBe(0);
  });

  it('cancel before expiry prevents the callback; a second cancel returns false', () => {
    const e = new Engine({ seed: 1 });
    const t = new TimerDevice(e, 'h');
    let fired = false;
    const id = t.arm(10, () => (fired = true));
    expect(t.expiry(id)).toBe(10);
    expect(t.cancel(id)).toBe(true);
    expect(t.cancel(id)).toBe(false);
    e.run();
    expect(fired).toBe(false);
  });

  it('rejects bad delays and a zero period', () => {
    const e = new Engine({ seed: 1 });
    const t = new TimerDevice(e, 'h');
    expect(() => t.arm(1.5, () => {})).toThrow(/delay/);
    expect(() => t.arm(-1, () => {})).toThrow(/delay/);
    expect(() => t.armPeriodic(0, () => {})).toThrow(/period/);
  });
});
