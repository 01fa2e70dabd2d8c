/**
 * The prefill pattern: what a prefilled export holds before anything wrote it. Every 512-byte
 * chunk names its own offset (magic 'ORPF', u64 offset, then bytes derived from the offset), so
 * a reader can tell a chunk of the initial content from zeros, from a hole and from a chunk
 * found at the wrong offset. Pages of it are generated on demand: a prefilled disk allocates
 * nothing until it is written.
 */

/** The unit the pattern repeats in (the verify chunk of the workloads). */
export const PREFILL_CHUNK = 512;
/** 'ORPF' little-endian. */
export const PREFILL_MAGIC = 0x4f525046;
const TWO32 = 4294967296;

/** Body byte i (12 ≤ i < 512) of the chunk at device offset `off`. */
function bodyByte(off: number, i: number): number {
  return ((off / PREFILL_CHUNK) * 7 + i * 31) & 255;
}

/** The bodies repeat every 256 chunks (7 is odd): one template of them, copied in runs. */
const PERIOD = 256;
let template: Uint8Array | null = null;

/** The 256 chunk bodies (bytes 12..511 of each chunk valid), for readers that compare by word. */
export function prefillBodies(): Uint8Array {
  return bodies();
}

function bodies(): Uint8Array {
  if (template) return template;
  template = new Uint8Array(PERIOD * PREFILL_CHUNK);
  for (let k = 0; k < PERIOD; k++) for (let i = 12; i < PREFILL_CHUNK; i++) template[k * PREFILL_CHUNK + i] = bodyByte(k * PREFILL_CHUNK, i);
  return template;
}

/** Fills `len` bytes (whole chunks) of `buf` from `at` with the pattern of device offset `off`. */
export function fillPrefill(buf: Uint8Array, at: number, off: number, len: number): void {
  const t = bodies();
  for (let done = 0; done < len;) {
    const k = (off + done) / PREFILL_CHUNK % PERIOD;
    const n = Math.min(len - done, (PERIOD - k) * PREFILL_CHUNK);
    buf.set(t.subarray(k * PREFILL_CHUNK, k * PREFILL_CHUNK + n), at + done);
    done += n;
  }
  for (let c = 0; c < len; c += PREFILL_CHUNK) {
    const o = off + c;
    const b = at + c;
    const lo = o % TWO32;
    const hi = Math.floor(o / TWO32);
    buf[b] = 0x46; buf[b + 1] = 0x50; buf[b + 2] = 0x52; buf[b + 3] = 0x4f;
    buf[b + 4] = lo & 255; buf[b + 5] = (lo >>> 8) & 255; buf[b + 6] = (lo >>> 16) & 255; buf[b + 7] = (lo >>> 24) & 255;
    buf[b + 8] = hi & 255; buf[b + 9] = (hi >>> 8) & 255; buf[b + 10] = (hi >>> 16) & 255; buf[b + 11] = (hi >>> 24) & 255;
  }
}

/** True when the chunk at `at` of `buf` is exactly the pattern of device offset `off`. */
export function isPrefillChunk(buf: Uint8Array, at: number, off: number): boolean {
  if (buf[at] !== 0x46 || buf[at + 1] !== 0x50 || buf[at + 2] !== 0x52 || buf[at + 3] !== 0x4f) return false;
  const lo = (buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24)) >>> 0;
  const hi = (buf[at + 8]! | (buf[at + 9]! << 8) | (buf[at + 10]! << 16) | (buf[at + 11]! << 24)) >>> 0;
  if (lo + hi * TWO32 !== off) return false;
  const t = bodies();
  const base = ((off / PREFILL_CHUNK) % PERIOD) * PREFILL_CHUNK;
  for (let i = 12; i < PREFILL_CHUNK; i++) if (buf[at + i] !== t[base + i]) return false;
  return true;
}

/** What an export holds before its first write: zeros (a hole) or the pattern above. */
export type PrefillKind = 'zeros' | 'pattern';
