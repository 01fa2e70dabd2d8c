import { describe, expect, it } from 'vitest';
import { parseDuration, parseFraction, parseRate, parseSize } from '../../../drivers/nbd/config/units.ts';

const val = (r: { ok: boolean; value?: number }) => (r.ok ? r.value : 'error');

describe('sizes are binary: MB and MiB both mean 2^20 bytes', () => {
  it.each([
    [4096, 4096], ['4096', 4096], ['512B', 512], ['4KiB', 4096], ['4KB', 4096], ['4k', 4096],
    ['2MB', 2097152], ['2MiB', 2097152], ['1.5GiB', 1610612736], ['1TB', 1099511627776],
  ])('%s → %d bytes', (input, bytes) => expect(val(parseSize(input))).toBe(bytes));
  it.each([['2XB'], ['-1'], [-5], [1.5], ['0.3B'], [true], ['MB']])('%s is rejected', (input) => {
    expect(parseSize(input).ok).toBe(false);
  });
});

describe('durations become integer ns', () => {
  it.each([
    ['250ms', undefined, 250_000_000], ['30s', undefined, 30_000_000_000], ['20us', undefined, 20_000],
    ['20µs', undefined, 20_000], ['1.5s', undefined, 1_500_000_000], ['7ns', undefined, 7], ['2m', undefined, 120_000_000_000],
    [30000, 'ms', 30_000_000_000], [30, 's', 30_000_000_000], ['100', 'ms', 100_000_000],
  ] as const)('%s (bare=%s) → %d', (input, bare, ns) => expect(val(parseDuration(input, bare))).toBe(ns));
  it('a bare number needs a documented unit', () => expect(parseDuration(5).ok).toBe(false));
  it('an unknown unit is rejected with the input named', () => {
    const r = parseDuration('5 fortnights');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('"5 fortnights"');
  });
});

describe('rates are decimal bit/s', () => {
  it.each([
    ['25Gbit', 25e9], ['25Gbps', 25e9], ['100Mbit/s', 100e6], ['1GB/s', 8e9], ['800MB/s', 6.4e9], ['10kbit', 10e3],
  ])('%s → %d bit/s', (input, bps) => expect(val(parseRate(input))).toBe(bps));
  it.each([['25Gbits/hour'], [25], ['fast']])('%s is rejected', (input) => expect(parseRate(input).ok).toBe(false));
});

describe('percentages', () => {
  it.each([['1%', 0.01], ['0.5%', 0.005], [0.25, 0.25], ['100%', 1]])('%s → %d', (i, f) => expect(val(parseFraction(i))).toBeCloseTo(f, 12));
  it.each([['101%'], [1.5], ['1'], [-0.1]])('%s is rejected', (i) => expect(parseFraction(i).ok).toBe(false));
});
