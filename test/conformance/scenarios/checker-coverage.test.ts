// The online safety checker checks every block of every read handed to it; the history tap counts
// those blocks itself (from the reads' lengths) and reports a shortfall as a broken history.
// perf-seq-read reads 1024 × 128 KiB = 32768 blocks of 4 KiB; with the injected bug
// safety-skips-block the checker leaves the last block of each read alone: 1024 fewer.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const s = loadScenario(join(import.meta.dirname, '../../../scenarios/perf-seq-read.toml'));

describe('safety checker coverage', () => {
  it('every block read is checked, and a checker that skips blocks fails the run', () => {
    const clean = runScenario(s, 1);
    expect(clean.passed).toBe(true);
    const bad = runScenario(s, 1, { faultInjection: 'safety-skips-block' });
    expect(bad.passed).toBe(false);
    expect(bad.safetyViolations.map((v) => v.message)).toEqual(['the safety checker checked 31744 of the 32768 blocks read']);
  });
});
