// Every scenario file runs with its fixed seeds and meets its expectations; the first seed of
// each runs twice and must give the same digest. tls-wrong-key is the one scenario whose point
// is a failure: it must fail, clearly, with no data moved.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.toml')).sort();
const EXPECTED_FAILURE = 'tls-wrong-key.toml';

describe('scenario library', () => {
  it('holds the spec targets and the fault scenarios', () => {
    for (const f of ['smoke', 'perf-seq-read', 'perf-randwrite-4k', 'perf-randread-4k', 'perf-latency', 'fault-loss', 'fault-reorder-dup', 'fault-link-flap',
      'fault-partition-heal', 'fault-crash-flush', 'fault-crash-fua', 'fault-eio', 'fault-slow', 'fault-hang', 'fault-malformed', 'fault-mix', 'tls-psk', 'tls-wrong-key', 'mgmt-during-io']) {
      expect(FILES).toContain(`${f}.toml`);
    }
  });

  for (const file of FILES.filter((f) => f !== EXPECTED_FAILURE)) {
    it(`${file}: every fixed seed passes; same seed ⇒ same digest`, () => {
      const s = loadScenario(join(DIR, file));
      expect(s.seeds.length).toBeGreaterThan(0);
      const digests: string[] = [];
      for (const seed of s.seeds) {
        const r = runScenario(s, seed);
        const failed = r.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${String(e.actual)} vs ${String(e.limit)}`);
        expect({ seed, failed, safety: r.safetyViolations.slice(0, 2).map((v) => v.message), liveness: r.livenessViolations.length }).toEqual({ seed, failed: [], safety: [], liveness: 0 });
        expect(r.passed).toBe(true);
        expect(r.jobs.length).toBeGreaterThan(0);
        expect(r.jobs.reduce((a, j) => a + j.ios, 0)).toBeGreaterThan(0);
        digests.push(r.digest);
      }
      const again = runScenario(s, s.seeds[0]!);
      expect(again.digest).toBe(digests[0]);
      if (s.seeds.length > 1) expect(new Set(digests).size).toBe(s.seeds.length);
    });
  }

  it(`${EXPECTED_FAILURE}: the device fails with a TLS reason, no data moves, deterministically`, () => {
    const s = loadScenario(join(DIR, EXPECTED_FAILURE));
    const r = runScenario(s, s.seeds[0]!);
    expect(r.passed).toBe(false);
    const dev = r.expectations.find((e) => e.name === 'device');
    expect(dev?.ok).toBe(false);
    expect(String(dev?.actual)).toMatch(/TLS.*wrong PSK/i);
    expect(r.jobs.reduce((a, j) => a + j.ios, 0)).toBe(0);
    // Fails fast: within a few connection timeouts, not at the run's deadline.
    expect(r.virtualTimeNs).toBeLessThan(1_000_000_000);
    expect(runScenario(s, s.seeds[0]!).digest).toBe(r.digest);
  });
});
