import { describe, expect, it } from 'vitest';
import { hostProbe, PROBE_SLACK, PROBES, runsAtHostSpeed } from './host-probe.ts';

// Probe times in ms: [int loop, heap].
const run = (name: string, intMs: number, heapMs: number) => ({ name, probeNs: [intMs * 1e6, heapMs * 1e6] });

describe('runsAtHostSpeed', () => {
  it('keeps the runs whose every probe took at most 1.2x that probe\'s fastest in the whole bench', () => {
    expect(PROBE_SLACK).toBe(1.2);
    // The fastest times (2.0 and 1.5 ms) are another row's: this row's limits are 2.4 and 1.8 ms.
    const other = [run('x', 2.0, 1.6), run('y', 2.2, 1.5)];
    const row = [run('a', 2.3, 1.7), run('b', 2.39, 1.79), run('c', 2.41, 1.6), run('d', 2.0, 1.81), run('e', 3.1, 2.5)];
    const { kept, bestProbeNs } = runsAtHostSpeed(row, [...other, ...row]);
    expect(bestProbeNs).toEqual([2e6, 1.5e6]);
    expect(kept.map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('keeps every run when the host ran alike throughout', () => {
    const row = [run('a', 1.8, 1.7), run('b', 1.9, 1.8), run('c', 1.85, 1.75)];
    expect(runsAtHostSpeed(row, row).kept).toHaveLength(3);
  });

  it('a slow process keeps none of its runs, measured against a fast one', () => {
    const fast = [run('f1', 1.8, 1.7), run('f2', 1.9, 1.7)];
    const slow = [run('s1', 1.9, 2.3), run('s2', 2.8, 1.7)];
    expect(runsAtHostSpeed(slow, [...fast, ...slow]).kept).toEqual([]);
  });
});

describe('hostProbe', () => {
  it('times each named probe', () => {
    const ns = hostProbe();
    expect(ns).toHaveLength(PROBES.length);
    for (const x of ns) expect(x).toBeGreaterThan(0);
  });
});
