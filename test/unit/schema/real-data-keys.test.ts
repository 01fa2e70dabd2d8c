// The keys that make a figure rest on real data: `[[server.export]] prefill` and
// `[expect] wire_bytes`, parsed, refused when wrong, and evaluated.
import { describe, expect, it } from 'vitest';
import { evaluateExpectations } from '../../../scenarios/checkers/index.ts';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';
import type { Expectations } from '../../../scenarios/schema/types.ts';

const base = (exportExtra: string, expect = '') => `[scenario]
name = "t"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "64MiB"
${exportExtra}
[[job]]
name = "r"
rw = "randread"
ios = 10
${expect}`;

function error(text: string): string {
  try {
    parseScenario(text, 's.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

const none: Expectations = { safety: false, livenessNs: undefined, recoveryNs: undefined, iops: undefined, bandwidth: undefined, latency: {}, noErrors: false };

describe('prefill and wire_bytes', () => {
  it('prefill defaults to zeros and accepts "pattern"; anything else is refused with its key', () => {
    expect(parseScenario(base(''), 's.toml').servers[0]!.exports[0]!.prefill).toBe('zeros');
    expect(parseScenario(base('prefill = "pattern"'), 's.toml').servers[0]!.exports[0]!.prefill).toBe('pattern');
    expect(error(base('prefill = "random"'))).toMatch(/prefill/);
  });

  it('wire_bytes takes sizes per direction; an empty table is refused', () => {
    const s = parseScenario(base('', '[expect]\nwire_bytes = { rx = "1MiB" }\n'), 's.toml');
    expect(s.expect.wireBytes).toEqual({ rx: 1048576, tx: undefined });
    expect(error(base('', '[expect]\nwire_bytes = {}\n'))).toMatch(/wire_bytes/);
    expect(error(base('', '[expect]\nwire_bytes = { up = 5 }\n'))).toMatch(/wire_bytes/);
  });

  it('wire_bytes holds when the NIC counters reach the minimum, per direction, and fails without a NIC', () => {
    const e: Expectations = { ...none, wireBytes: { rx: 1000, tx: 10 } };
    const m = { jobs: [], safety: undefined, liveness: undefined, recoveryNs: [], errors: 0 };
    expect(evaluateExpectations(e, { ...m, wire: { rx: 1000, tx: 9 } })).toEqual([
      { name: 'wire_bytes.rx', ok: true, actual: 1000, limit: 1000, unit: 'bytes' },
      { name: 'wire_bytes.tx', ok: false, actual: 9, limit: 10, unit: 'bytes' },
    ]);
    expect(evaluateExpectations(e, m).every((x) => !x.ok)).toBe(true);
  });
});
