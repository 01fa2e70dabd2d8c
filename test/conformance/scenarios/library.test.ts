// Every scenario file runs with its fixed seeds and meets its expectations; the first seed of
// each runs twice and must give the same digest. A scenario whose point is a failure says so in
// its [expect] (device = "failed", e.g. tls-wrong-key): it passes through the same path when the
// device fails clearly, fast, with no data moved.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.toml')).sort();

describe('scenario library', () => {
  it('holds the spec targets and the fault scenarios', () => {
    for (const f of ['smoke', 'perf-seq-read', 'perf-randwrite-4k', 'perf-randread-4k', 'perf-latency', 'fault-loss', 'fault-reorder-dup', 'fault-link-flap',
      'fault-partition-heal', 'fault-crash-flush', 'fault-crash-fua', 'fault-eio', 'fault-slow', 'fault-hang', 'fault-malformed', 'fault-mix', 'tls-psk', 'tls-wrong-key', 'mgmt-during-io']) {
      expect(FILES).toContain(`${f}.toml`);
    }
  });

  it('tls-wrong-key is an expected failure in its own [expect]', () => {
    expect(loadScenario(join(DIR, 'tls-wrong-key.toml')).expect.device).toEqual([{ device: undefined, state: 'failed', reason: 'wrong PSK' }]);
  });

  for (const file of FILES) {
    it(`${file}: every fixed seed passes; same seed ⇒ same digest`, () => {
      const s = loadScenario(join(DIR, file));
      const expectsFailure = s.expect.device?.some((d) => d.state === 'failed') === true;
      expect(s.seeds.length).toBeGreaterThan(0);
      const digests: string[] = [];
      for (const seed of s.seeds) {
        const r = runScenario(s, seed);
        const failed = r.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${String(e.actual)} vs ${String(e.limit)}`);
        if (s.expect.corruptedReads === true) {
          // Its point is that corruption below TCP reaches the workload (checksums off): every
          // violation is a read of content no write put there, nothing else.
          expect(r.safetyViolations.length).toBeGreaterThan(0);
          for (const v of r.safetyViolations) expect(v.message).toMatch(/that no write put there/);
          expect({ seed, failed, liveness: r.livenessViolations.length }).toEqual({ seed, failed: [], liveness: 0 });
        } else {
          expect({ seed, failed, safety: r.safetyViolations.slice(0, 2).map((v) => v.message), liveness: r.livenessViolations.length }).toEqual({ seed, failed: [], safety: [], liveness: 0 });
        }
        expect(r.passed).toBe(true);
        if (expectsFailure) {
          // The device failed for the stated reason, no data moved, and it failed fast: within a
          // few connection timeouts, not at the run's deadline.
          const dev = r.expectations.find((e) => e.name === 'device');
          expect(dev?.ok).toBe(true);
          expect(String(dev?.actual)).toMatch(file === 'tls-wrong-key.toml' ? /^failed: .*TLS.*wrong PSK/i : /^failed: /);
          expect(r.jobs.reduce((a, j) => a + j.ios, 0)).toBe(0);
          expect(r.virtualTimeNs).toBeLessThan(1_000_000_000);
        } else {
          expect(r.jobs.length).toBeGreaterThan(0);
          expect(r.jobs.reduce((a, j) => a + j.ios, 0)).toBeGreaterThan(0);
        }
        digests.push(r.digest);
      }
      const again = runScenario(s, s.seeds[0]!);
      expect(again.digest).toBe(digests[0]);
      if (s.seeds.length > 1) expect(new Set(digests).size).toBe(s.seeds.length);
    });
  }
});
