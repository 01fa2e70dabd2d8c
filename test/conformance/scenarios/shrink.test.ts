// Shrinking on the broken-driver injection: the minimal scenario is smaller (events, I/Os,
// virtual time, faults) and, run on its own with the same seed, still fails with the same
// signature. And the swarm draw written into a scenario reproduces the swarm run exactly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/load.ts';
import { shrink, signatureOf } from '../../../tools/shrink/shrink.ts';
import { materialiseSwarm } from '../../../tools/shrink/swarm.ts';
import { stringify } from 'smol-toml';

const FILE = join(import.meta.dirname, '../../../scenarios/fault-mix.toml');
const doc = () => parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;

describe('shrink', () => {
  it('drop-acked-write on fault-mix seed 2: smaller and still failing the same way', () => {
    const r = shrink(runner, doc(), { seed: 2, swarm: false, faultInjection: 'drop-acked-write', maxRuns: 120, file: FILE });
    expect(r.signature).toMatch(/^safety:/);
    expect(r.after.events).toBeLessThan(r.before.events);
    expect(r.after.ios).toBeLessThan(r.before.ios);
    expect(r.after.virtualTimeNs).toBeLessThan(r.before.virtualTimeNs);
    expect(r.after.faults).toBeLessThanOrEqual(r.before.faults);
    const min = parseScenario(r.text, 'min.toml');
    expect(min.seeds).toEqual([2]);
    const again = runner.runScenario(min, 2, { faultInjection: 'drop-acked-write' });
    expect(again.passed).toBe(false);
    expect(signatureOf(again)).toContain(r.signature);
    // Without the injection the minimal scenario passes: the failure is the bug's, not the shrink's.
    expect(runner.runScenario(min, 2).passed).toBe(true);
  });

  it('a passing seed is refused: nothing to shrink', () => {
    expect(() => shrink(runner, doc(), { seed: 1, swarm: false, maxRuns: 5, file: FILE })).toThrow(/seed 1 passes; there is no failure to shrink/);
  });

  it('the swarm draw written into the scenario runs exactly as the swarm run', () => {
    const d = materialiseSwarm(runner, doc(), 7)!;
    const swarm = runner.runScenario(parseScenario(stringify(doc()), FILE), 7, { swarm: true });
    const plain = runner.runScenario(parseScenario(stringify(d), FILE), 7);
    // The same I/O, latencies and faults; (the swarm run may idle longer: it ends after the
    // last [[at]] time of the file, drawn or not).
    expect(plain.jobs).toEqual(swarm.jobs);
    expect(plain.faults).toEqual(swarm.faults.filter((f) => !/^(\(swarm:|swarm drew:)/.test(f.description)));
    expect(plain.safetyViolations).toEqual(swarm.safetyViolations);
  });
});
