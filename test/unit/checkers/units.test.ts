import { describe, expect, it } from 'vitest';
import { formatByteRange, formatNsExact, formatSize } from '../../../scenarios/checkers/units.ts';

describe('units of checker and runner messages', () => {
  it('times keep every nanosecond in the largest unit they reach', () => {
    expect(formatNsExact(0)).toBe('0ns');
    expect(formatNsExact(999)).toBe('999ns');
    expect(formatNsExact(412_000)).toBe('412µs');
    expect(formatNsExact(1_500_000)).toBe('1.5ms');
    expect(formatNsExact(6_013_229_905)).toBe('6.013229905s');
    expect(formatNsExact(2_000_000_050)).toBe('2.00000005s');
  });

  it('two instants 1 ns apart never print alike (an ack before or after a read must show)', () => {
    expect(formatNsExact(2_345_678_123)).not.toBe(formatNsExact(2_345_678_124));
  });

  it('sizes stay exact: the largest binary prefix that divides them', () => {
    expect(formatSize(4096)).toBe('4 KiB');
    expect(formatSize(1536)).toBe('1536 B');
    expect(formatSize(3 * 2 ** 20)).toBe('3 MiB');
    expect(formatSize(2 ** 20 + 4096)).toBe('1028 KiB');
    expect(formatByteRange(8192, 131072)).toBe('[byte 8192, +128 KiB)');
  });
});
