import { describe, expect, it } from 'vitest';
import { PROBE_SLACK, runsAtHostSpeed } from './host-probe.ts';

const run = (name: string, probeMs: number) => ({ name, probeNs: probeMs * 1e6 });

describe('runsAtHostSpeed', () => {
  it('keeps the runs whose probe took at most 1.2x the fastest probe of the whole bench', () => {
    expect(PROBE_SLACK).toBe(1.2);
    // The fastest probe (2.0 ms) is another row's: this row's limit is 2.4 ms, not 1.2x its own best.
    const other = [run('x', 2.0)];
    const row = [run('a', 2.3), run('b', 2.39), run('c', 2.41), run('d', 3.1)];
    const { kept, bestProbeNs } = runsAtHostSpeed(row, [...other, ...row]);
    expect(bestProbeNs).toBe(2e6);
    expect(kept.map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('keeps every run when the host ran alike throughout', () => {
    const row = [run('a', 4.2), run('b', 4.4), run('c', 4.1)];
    expect(runsAtHostSpeed(row, row).kept).toHaveLength(3);
  });

  it('a slow process keeps none of its runs, measured against a fast one', () => {
    const fast = [run('f1', 4.2), run('f2', 4.3)];
    const slow = [run('s1', 6.5), run('s2', 6.9)];
    expect(runsAtHostSpeed(slow, [...fast, ...slow]).kept).toEqual([]);
  });
});
