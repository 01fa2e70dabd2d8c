import { describe, expect, it } from 'vitest';
import type { SafetyViolation } from '../../../scenarios/checkers/safety.ts';
import { groupBlocks } from '../../../tools/cli/format/summary.ts';
import { renderTable } from '../../../tools/cli/format/table.ts';

const v = (block: number, read: number): SafetyViolation => ({
  kind: 'stale-read', block, readId: read, readIssuedNs: 0, readCompletedNs: 1, seen: 0, allowed: [], overwrittenBy: undefined, crashNs: undefined,
  message: `block ${block}: read #${read} returned stale data`,
});

describe('summary formatting', () => {
  it('adjacent blocks that failed the same way are one line', () => {
    expect(groupBlocks([v(600, 1), v(601, 1), v(602, 1), v(700, 1), v(701, 2)])).toEqual([
      'blocks 600-602: read #1 returned stale data',
      'block 700: read #1 returned stale data',
      'block 701: read #2 returned stale data',
    ]);
  });

  it('tables: numbers right-aligned, text left-aligned, missing values as -', () => {
    expect(renderTable(['job', 'ios', 'p99'], [['a', 5, '1ms'], ['bb', 1234, null]])).toBe(
      '  job   ios  p99\n  a       5  1ms\n  bb   1234  -\n',
    );
  });
});
