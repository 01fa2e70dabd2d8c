import { describe, expect, it } from 'vitest';
import { evaluateExpectations, type Measured } from '../../../scenarios/checkers/index.ts';
import type { JobResult } from '../../../scenarios/runner/types.ts';
import type { Expectations } from '../../../scenarios/schema/types.ts';

const job = (name: string, iops: number, writeP99: number | undefined): JobResult => ({
  name, ios: 1000, errors: 0, iops, bandwidthBytesPerSec: iops * 4096,
  latency: writeP99 === undefined ? {} : { write: { count: 1000, percentiles: { p99: writeP99 } } },
});
const none: Expectations = { safety: false, livenessNs: undefined, recoveryNs: undefined, iops: undefined, bandwidth: undefined, latency: {}, noErrors: false, jobsComplete: false };
const measured = (over: Partial<Measured> = {}): Measured => ({
  jobs: [job('a', 30_000, 4e6), job('b', 15_000, 9e6)], safety: undefined, liveness: undefined, recoveryNs: [], errors: 0, ...over,
});

describe('[expect] evaluation', () => {
  it('latency: the worst job counts', () => {
    expect(evaluateExpectations({ ...none, latency: { write: { p99: 10e6 } } }, measured())).toEqual([
      { name: 'latency.write.p99', ok: true, actual: 9e6, limit: 10e6, unit: 'ns' },
    ]);
    expect(evaluateExpectations({ ...none, latency: { write: { p99: 8e6 } } }, measured())[0]!.ok).toBe(false);
  });

  it('a latency of an op that never ran fails rather than passing vacuously', () => {
    expect(evaluateExpectations({ ...none, latency: { read: { p50: 1e6 } } }, measured())).toEqual([
      { name: 'latency.read.p50', ok: false, actual: null, limit: 1e6, unit: 'ns' },
    ]);
  });

  it('IOPS and bandwidth: the sum of jobs, or one named job', () => {
    // 30k + 15k = 45k IOPS ≥ 40k; 45k × 4 KiB × 8 bit = 1.47456e9 bit/s.
    const r = evaluateExpectations({ ...none, iops: { min: 40_000, job: undefined }, bandwidth: { minBps: 1.5e9, job: undefined } }, measured());
    expect(r).toEqual([
      { name: 'iops', ok: true, actual: 45_000, limit: 40_000, unit: 'iops' },
      { name: 'bandwidth', ok: false, actual: 45_000 * 4096 * 8, limit: 1.5e9, unit: 'bit/s' },
    ]);
    expect(evaluateExpectations({ ...none, iops: { min: 20_000, job: 'b' } }, measured())[0]).toMatchObject({ name: 'iops.b', ok: false, actual: 15_000 });
  });

  it('safety, liveness, recovery and errors', () => {
    const e: Expectations = { ...none, safety: true, livenessNs: 1e9, recoveryNs: 5e8, noErrors: true };
    const ok = evaluateExpectations(e, measured({
      safety: { ok: true, readsChecked: 10, blocksChecked: 10, violations: [] },
      liveness: { ok: true, checked: 10, violations: [], undecided: [], worstNs: 2e8 },
      recoveryNs: [1e8, 3e8],
    }));
    expect(ok.map((x) => [x.name, x.ok, x.actual])).toEqual([['recovery', true, 3e8], ['liveness', true, 2e8], ['safety', true, 0], ['no_errors', true, 0]]);
    // Nothing measured: every one of them fails.
    const bad = evaluateExpectations(e, measured({ errors: 2 }));
    expect(bad.map((x) => [x.name, x.ok])).toEqual([['recovery', false], ['liveness', false], ['safety', false], ['no_errors', false]]);
  });
});
