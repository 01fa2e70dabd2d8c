/**
 * Units in configuration and scenario files.
 *
 * Sizes are binary, as fio and the block layer count them: K = KB = KiB = 1024 bytes,
 * M = MB = MiB = 2^20, G = GB = GiB = 2^30, T = TB = TiB = 2^40. So "2MB" and "2MiB" are both
 * 2 097 152 bytes, which keeps every size a whole number of 4 KiB blocks. A bare integer is bytes.
 *
 * Rates are decimal, as networks count them: "25Gbit" = "25Gbps" = "25Gbit/s" = 25·10^9 bit/s;
 * byte rates ("1GB/s", "800MB/s") are decimal too (1 GB/s = 8·10^9 bit/s), matching the spec's
 * "1.0 GB/s". Every rate is normalised to bit/s.
 *
 * Durations take ns, us (or µs), ms, s, m, h; the result is integer nanoseconds. A bare number
 * is accepted only where a key documents its unit (the spec's connection_timeout is in ms).
 *
 * Each parser returns the value or a reason string: callers attach file and key path.
 */

export type Parsed = { ok: true; value: number } | { ok: false; reason: string };

const ok = (value: number): Parsed => ({ ok: true, value });
const bad = (reason: string): Parsed => ({ ok: false, reason });

const NUMBER_WITH_UNIT = /^\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-zµ%/]*)\s*$/;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1,
  k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10,
  m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20,
  g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30,
  t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9,
};

const DECIMAL_PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

function split(input: string): [number, string] | undefined {
  const m = NUMBER_WITH_UNIT.exec(input);
  if (!m) return undefined;
  return [Number(m[1]), m[2]!];
}

function wholeNonNegative(v: number, what: string, input: unknown): Parsed {
  if (!Number.isFinite(v) || v < 0) return bad(`${what} must be non-negative, got ${JSON.stringify(input)}`);
  const r = Math.round(v);
  if (!Number.isSafeInteger(r)) return bad(`${what} ${JSON.stringify(input)} is too large`);
  return ok(r);
}

/** "4KiB", "2MB", "512k", 4096 → bytes (binary prefixes, see the file comment). */
export function parseSize(input: unknown): Parsed {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return bad(`size must be a non-negative integer of bytes, got ${input}`);
    return ok(input);
  }
  if (typeof input !== 'string') return bad(`size must be a string like "4KiB" or an integer of bytes, got ${typeName(input)}`);
  const parts = split(input);
  const mult = parts ? SIZE_UNITS[parts[1].toLowerCase()] : undefined;
  if (!parts || mult === undefined) return bad(`bad size ${JSON.stringify(input)}: expected a number with B, KiB/KB, MiB/MB, GiB/GB or TiB/TB`);
  const bytes = parts[0] * mult;
  if (!Number.isInteger(bytes)) return bad(`size ${JSON.stringify(input)} is not a whole number of bytes`);
  return wholeNonNegative(bytes, 'size', input);
}

/**
 * "250ms", "30s", "20us", "1.5s" → integer ns. A bare number is taken in `bareUnit` when one is
 * given (e.g. 'ms' for the spec's connection_timeout), otherwise it is an error.
 */
export function parseDuration(input: unknown, bareUnit?: keyof typeof DURATION_UNITS): Parsed {
  if (typeof input === 'number') {
    if (bareUnit === undefined) return bad(`duration needs a unit (ns, us, ms, s), got the bare number ${input}`);
    return wholeNonNegative(input * DURATION_UNITS[bareUnit]!, 'duration', input);
  }
  if (typeof input !== 'string') return bad(`duration must be a string like "250ms", got ${typeName(input)}`);
  const parts = split(input);
  if (parts && parts[1] === '' && bareUnit !== undefined) {
    return wholeNonNegative(parts[0] * DURATION_UNITS[bareUnit]!, 'duration', input);
  }
  const mult = parts ? DURATION_UNITS[parts[1]] : undefined;
  if (!parts || mult === undefined) return bad(`bad duration ${JSON.stringify(input)}: expected a number with ns, us, ms, s, m or h`);
  return wholeNonNegative(parts[0] * mult, 'duration', input);
}

/** "25Gbit", "10Gbps", "100Mbit/s", "1GB/s" → bit/s (decimal prefixes, see the file comment). */
export function parseRate(input: unknown): Parsed {
  if (typeof input !== 'string') return bad(`rate must be a string like "25Gbit" or "1GB/s", got ${typeName(input)}`);
  const parts = split(input);
  if (!parts) return bad(`bad rate ${JSON.stringify(input)}: expected a number with bit/s (e.g. "25Gbit") or B/s (e.g. "1GB/s")`);
  const m = /^([kmgtKMGT]?)(bit|bps|bit\/s|b\/s|B\/s|Bps)$/.exec(parts[1]);
  if (!m) return bad(`bad rate unit in ${JSON.stringify(input)}: expected bit, bps, bit/s or B/s with k, M, G or T`);
  const prefix = DECIMAL_PREFIX[m[1]!.toLowerCase()]!;
  const perByte = m[2] === 'B/s' || m[2] === 'Bps' ? 8 : 1;
  return wholeNonNegative(parts[0] * prefix * perByte, 'rate', input);
}

/** "1%", "0.5%" or a fraction 0.01 → a probability in [0, 1]. */
export function parseFraction(input: unknown): Parsed {
  let v: number;
  if (typeof input === 'number') v = input;
  else if (typeof input === 'string') {
    const parts = split(input);
    if (!parts || parts[1] !== '%') return bad(`bad percentage ${JSON.stringify(input)}: expected e.g. "1%" or a fraction 0.01`);
    v = parts[0] / 100;
  } else return bad(`percentage must be "1%" or a fraction, got ${typeName(input)}`);
  if (!(v >= 0 && v <= 1)) return bad(`probability must be between 0% and 100%, got ${JSON.stringify(input)}`);
  return ok(v);
}

export function typeName(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  // JSON has no NaN or infinity: name them, not "null".
  if (typeof v === 'number' && !Number.isFinite(v)) return `the number ${String(v)}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'a table';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}
