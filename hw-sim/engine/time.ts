/** Virtual time: integer nanoseconds since boot, held in a `number` (exact up to 2^53 ns ≈ 104 days). */
export type Ns = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

export const us = (n: number): Ns => Math.round(n * NS_PER_US);
export const ms = (n: number): Ns => Math.round(n * NS_PER_MS);
export const sec = (n: number): Ns => Math.round(n * NS_PER_S);

/** Throws unless `t` is a non-negative safe integer: fractional or huge times break ordering. */
export function assertNs(t: number, what = 'time'): Ns {
  if (!Number.isSafeInteger(t) || t < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer of nanoseconds, got ${t}`);
  }
  return t;
}

/** Renders nanoseconds for humans: 1.500ms, 12.000µs, 2.000s. */
export function formatNs(t: Ns): string {
  if (t >= NS_PER_S) return `${(t / NS_PER_S).toFixed(3)}s`;
  if (t >= NS_PER_MS) return `${(t / NS_PER_MS).toFixed(3)}ms`;
  if (t >= NS_PER_US) return `${(t / NS_PER_US).toFixed(3)}µs`;
  return `${t}ns`;
}

/**
 * Renders nanoseconds for messages that compare instants (issued, acked, deadline): every
 * nanosecond kept, trailing zeros dropped, so two different times never print alike:
 * 6.013229905s, 1.5µs, 30ns.
 */
export function formatNsExact(t: Ns): string {
  const n = Math.round(t);
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  for (const [unit, per, digits] of [['s', NS_PER_S, 9], ['ms', NS_PER_MS, 6], ['µs', NS_PER_US, 3]] as const) {
    if (a < per) continue;
    const frac = String(a % per).padStart(digits, '0').replace(/0+$/, '');
    return `${sign}${Math.floor(a / per)}${frac === '' ? '' : `.${frac}`}${unit}`;
  }
  return `${sign}${a}ns`;
}

/** Time to put `bytes` on a wire of `bitsPerSecond`, rounded up to whole nanoseconds. */
export function serialisationNs(bytes: number, bitsPerSecond: number): Ns {
  return Math.ceil((bytes * 8 * NS_PER_S) / bitsPerSecond);
}
