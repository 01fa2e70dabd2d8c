import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../../scenarios/runner/types.ts';
import { renderSummary } from '../../../tools/cli/format/summary.ts';
import { renderTable } from '../../../tools/cli/format/table.ts';
import { formatFigure, formatValue } from '../../../tools/cli/format/units.ts';
import { etaText } from '../../../tools/cli/sweep/progress.ts';

describe('figures carry their units', () => {
  it('management tables: the unit comes from the key or column name', () => {
    // 407447688.146 B/s = 407.4 MB/s (decimal, as rates are); 2303094 B = 2.196 MiB; 243200 ns = 243.2 µs.
    expect(formatFigure('read/bytes_per_sec', 407447688.14594567)).toBe('407.4 MB/s');
    expect(formatFigure('net/bytes_sent', 2303094)).toBe('2.20 MiB');
    expect(formatFigure('bytes_received', 600)).toBe('600 B');
    expect(formatFigure('read/p99_ns', 243200)).toBe('243.200µs');
    expect(formatFigure('read/iops', 9781.703824808012)).toBe('9782 IOPS');
    expect(formatFigure('hit_ratio', 0.32345)).toBe('0.323');
    expect(formatFigure('read/count', 1076)).toBe('1076');
    expect(renderTable(['key', 'value'], [['read/bytes_per_sec', 40065858.866413616], ['read/count', 1076]])).toBe(
      `  key${' '.repeat(15 + 2 + 4)}value\n  read/bytes_per_sec  40.1 MB/s\n  read/count${' '.repeat(8 + 2 + 5)}1076\n`);
  });

  it('expectations: safety in blocks, bytes with binary prefixes, a recovery that never came', () => {
    expect([formatValue(1, 'blocks'), formatValue(0, 'blocks'), formatValue(3, 'blocks')]).toEqual(['1 block', '0 blocks', '3 blocks']);
    expect(formatValue(134217728, 'bytes')).toBe('128.00 MiB');
    expect(formatValue(Number.POSITIVE_INFINITY, 'ns')).toBe('never');
    expect(formatValue(5000.4, 'iops')).toBe('5000 IOPS');
  });

  it('the jobs table counts I/Os as IOPS does: flushes in their own column', () => {
    const r = {
      scenario: 's', seed: 1, digest: 'd', virtualTimeNs: 1e9, events: 1, passed: true, expectations: [], faults: [],
      safetyViolations: [], livenessViolations: [], mgmt: [],
      jobs: [{ name: 'w', ios: 1000, flushes: 32, errors: 0, iops: 1000, bandwidthBytesPerSec: 4096000, latency: {} }],
    } as RunResult;
    // 1000 4 KiB writes and 32 flushes in 1 s of virtual time: 1000 IOPS, 4 096 000 B/s = 4.1 MB/s.
    expect(renderSummary(r, 'replay')).toContain('  job  I/Os  flushes  errors  IOPS  bandwidth\n  w    1000       32       0  1000  4.1 MB/s\n');
  });
});

describe('sweep ETA', () => {
  it('comes from the measured wall time per finished seed; unknown before the first', () => {
    expect(etaText(0, 0, 200)).toBe('measuring');
    // 2 of 10 seeds after 8 s: 4 s per seed, 8 left → 32 s.
    expect(etaText(8000, 2, 10)).toBe('32s');
    // 38 seeds in 19 s (2 workers), 162 left → 81 s.
    expect(etaText(19_000, 38, 200)).toBe('1m21s');
    expect(etaText(5000, 10, 10)).toBe('0s');
  });
});
