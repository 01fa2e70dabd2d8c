import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Cpu } from '../../../hw-sim/cpu/index.ts';

describe('cpu model', () => {
  it('serialises two work items on one core', () => {
    const e = new Engine({ seed: 1 });
    const cpu = new Cpu(e, 'h', { cores: 2 });
    const done: Array<[string, number]> = [];
    cpu.run(0, 1_000, () => done.push(['a', e.now]), 'a');
    cpu.run(0, 500, () => done.push(['b', e.now]), 'b');
    e.run();
    expect(done).toEqual([['a', 1_000], ['b', 1_500]]);
    expect(cpu.busyNs(0)).toBe(1_500);
    expect(cpu.utilisation(0)).toBe(1);
  });

  it('overlaps work items on two cores', () => {
    const e = new Engine({ seed: 1 });
    const cpu = new Cpu(e, 'h', { cores: 2 });
    const done: Array<[string, number]> = [];
    cpu.run(0, 1_000, () => done.push(['a', e.now]));
    cpu.run(1, 500, () => done.push(['b', e.now]));
    e.run();
    expect(done).toEqual([['b', 500], ['a', 1_000]]);
    expect(cpu.utilisation(1)).toBe(0.5);
  });

  it('starts work on an idle core at now and counts only executed busy time', () => {
    const e = new Engine({ seed: 1 });
    const cpu = new Cpu(e, 'h', { cores: 1 });
    e.runUntil(2_000);
    expect(cpu.run(0, 300, () => {})).toBe(2_300);
    cpu.run(0, 700, () => {});
    e.runUntil(2_500);
    expect(cpu.busyNs(0)).toBe(500);
    e.run();
    expect(cpu.busyNs(0)).toBe(1_000);
    expect(cpu.utilisation(0)).toBeCloseTo(1_000 / 3_000, 12);
    expect(cpu.leastLoaded()).toBe(0);
  });

  it('rejects an unknown core', () => {
    const e = new Engine({ seed: 1 });
    const cpu = new Cpu(e, 'h', { cores: 2 });
    expect(() => cpu.run(2, 1, () => {})).toThrow(/no core 2/);
  });
});
