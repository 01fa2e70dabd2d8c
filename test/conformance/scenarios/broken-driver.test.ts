// The checker can fail: a driver build that acknowledges one write without sending it must make
// the safety check fail the fault-mix scenario, naming the block and the writes involved.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const s = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-mix.toml'));

describe('broken driver (drop-acked-write)', () => {
  for (const seed of s.seeds) {
    it(`seed ${seed}: the safety checker fails the run`, () => {
      const good = runScenario(s, seed);
      expect(good.passed).toBe(true);
      const r = runScenario(s, seed, { faultInjection: 'drop-acked-write' });
      expect(r.passed).toBe(false);
      expect(r.expectations.find((e) => e.name === 'safety')?.ok).toBe(false);
      expect(r.safetyViolations.length).toBeGreaterThan(0);
      const v = r.safetyViolations[0]!;
      expect(v.kind).toMatch(/stale-read|lost-durable-write/);
      expect(v.overwrittenBy).toBeDefined();
      expect(v.message).toMatch(/^block \d+: read #\d+/);
      expect(r.digest).not.toBe(good.digest);
    });
  }

  it('an unknown hook is refused with its name', () => {
    expect(() => runScenario(s, 1, { faultInjection: 'nope' })).toThrow(/unknown hook 'nope'/);
  });
});
