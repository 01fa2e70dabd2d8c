/** Integers up to this are written digit by digit; anything else through String(). */
const MAX_DIGITS_INT = Number.MAX_SAFE_INTEGER;

/**
 * Byte writers of the trace's canonical line (trace-line.ts): each writes at `o` into room the
 * caller reserved and returns the end.
 */

/**
 * A number at `o` (room for 24 bytes reserved) as JSON writes it (`json`) or as a template literal
 * does (they differ only off finite numbers); returns the end.
 */
export function writeNum(b: Buffer, o: number, n: number, json: boolean): number {
  // A uint32 (and -0, written "0" by both): most numbers in records (times, sizes, TCP sequences).
  if (n >>> 0 === n) return writeU32(b, o, n);
  if (Number.isInteger(n) && n >= -MAX_DIGITS_INT && n <= MAX_DIGITS_INT) {
    if (n < 0) {
      b[o++] = 45;
      n = -n;
      if (n <= 0xffffffff) return writeU32(b, o, n);
    }
    // Above 2^32: the low 8 digits and the rest separately, each small enough for int math.
    const hi = Math.floor(n / 1e8);
    const at = writeSmall(b, o, hi);
    writeDigits(b, at + 8, n - hi * 1e8, 8);
    return at + 8;
  }
  // Fractions, huge and non-finite numbers: as the runtime writes them (ASCII).
  const s = json && !Number.isFinite(n) ? 'null' : String(n);
  for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
  return o;
}

/** Writes integer n in [0, 2^32) at `o`, two digits a step; returns the end. */
export function writeU32(b: Buffer, o: number, n: number): number {
  const end = o + (n < 0x80000000 ? digitCount(n) : 10);
  let p = end;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = 2 * (n - q * 100);
    b[--p] = PAIRS[r + 1]!;
    b[--p] = PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    b[--p] = PAIRS[2 * n + 1]!;
    b[--p] = PAIRS[2 * n]!;
  } else b[--p] = 48 + n;
  return end;
}

/** A JSON string of printable ASCII at `o` (room reserved); -1 if it needs escapes or is not ASCII. */
export function writeStr(b: Buffer, o: number, s: string): number {
  const n = s.length;
  b[o++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) return -1;
    b[o++] = c;
  }
  b[o++] = 34;
  return o;
}

/** Text as is (src, kind) at `o` (room for 3 bytes a unit reserved): ASCII byte by byte, else UTF-8 encoded. */
export function writeRaw(b: Buffer, o: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return o - i + b.write(s, o - i, 'utf8');
    b[o++] = c;
  }
  return o;
}

/** Bytes known to be ASCII (a JSON literal) at `o` (room reserved); returns the end. */
export function writeAscii(b: Buffer, o: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) b[o + i] = bytes[i]!;
  return o + bytes.length;
}

/** Decimal digits of an integer in [0, 2^31). */
function digitCount(n: number): number {
  if (n < 1e5) return n < 100 ? (n < 10 ? 1 : 2) : n < 1e3 ? 3 : n < 1e4 ? 4 : 5;
  return n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
}

/** "00".."99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Writes integer n in [0, 2^31) at `at`; returns the end. */
function writeSmall(b: Uint8Array, at: number, n: number): number {
  const end = at + digitCount(n);
  writeDigits(b, end, n, end - at);
  return end;
}

/** Writes the low `count` decimal digits of n in [0, 2^31) so that they end at `end`, zero-padded. */
function writeDigits(b: Uint8Array, end: number, n: number, count: number): void {
  let p = end;
  const stop = end - count;
  while (p - stop >= 2) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    b[--p] = PAIRS[r + 1]!;
    b[--p] = PAIRS[r]!;
    n = q;
  }
  if (p > stop) b[--p] = 48 + (n % 10);
}

/** A JSON list of numbers `[n,n]` at `o` (room for 2 + 25 a number reserved); -1 if any item is not a number. */
export function writeNumList(b: Buffer, o: number, a: readonly unknown[]): number {
  b[o++] = 91;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number') return -1;
    if (i > 0) b[o++] = 44;
    o = writeNum(b, o, x, true);
  }
  b[o++] = 93;
  return o;
}
