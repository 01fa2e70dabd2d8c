/**
 * Content ids of the blocks of a buffer, read from the data itself (the history tap's view):
 * verify content id + 1 when every 512-byte chunk of the block is a genuine chunk of one write
 * at its own offset; 0 for the initial content (zeros, or the prefill pattern of a prefilled
 * device); -1 for anything else.
 *
 * Written data comes from the workload, so a write is read by its first chunk's header. Read
 * data came through the system under test, so every chunk is compared with what its header says
 * it is — byte for byte, by 32-bit words: the body against the pattern its seed gives, the
 * offset against the device offset. (The CRC and job fields are left to the workload's verifier.)
 */
import { PREFILL_CHUNK, prefillBodies } from '../../hw-sim/disk/prefill.ts';
import { CHUNK, HEADER_BYTES } from '../workload/verify.ts';

export const GARBAGE = -1;
const MAGIC = 0x4f525646;
const PREFILL_MAGIC = 0x4f525046;
const TWO32 = 4294967296;
const WORDS = CHUNK / 4;
const HEADER_WORDS = HEADER_BYTES / 4;

/** Verify chunk bodies by seed: word k (k ≥ 8) of the chunk of seed s is VERIFY[s·128 + k]. */
const VERIFY = (() => {
  const b = new Uint8Array(256 * CHUNK);
  for (let s = 0; s < 256; s++) for (let i = HEADER_BYTES; i < CHUNK; i++) b[s * CHUNK + i] = (s + i) & 255;
  return new Uint32Array(b.buffer);
})();
let prefillWords: Uint32Array | null = null;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * Cuts `out` to `n` entries when it is longer. The caller reuses one list for requests of the
 * same length, so this is usually no store at all: a length store is a runtime call.
 */
function fitLength(out: number[], n: number): void {
  if (out.length !== n) out.length = n;
}

export class BlockContent {
  constructor(readonly blockSize: number, readonly prefilled: boolean) {
    if (blockSize % CHUNK !== 0 || PREFILL_CHUNK !== CHUNK) throw new RangeError(`block size ${blockSize} is not whole chunks of ${CHUNK}`);
  }

  /** Content id per block of write data at device offset `devOff` into `out`; false when some block carries no verify content. */
  ofWrite(data: Uint8Array, length: number, out: number[]): boolean {
    let verified = true;
    let n = 0;
    for (let at = 0; at < length; at += this.blockSize) {
      if (u32(data, at) !== MAGIC) {
        out[n++] = GARBAGE;
        verified = false;
      } else out[n++] = u32(data, at + 8) + u32(data, at + 12) * TWO32 + 1;
    }
    fitLength(out, n);
    return verified;
  }

  /** Content id per block of read data at device offset `devOff` into `out`. */
  ofRead(data: Uint8Array, devOff: number, length: number, out: number[]): void {
    const words = (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, length >>> 2) : null;
    let n = 0;
    for (let at = 0; at < length; at += this.blockSize) {
      let id = this.chunk(data, words, at, devOff + at);
      for (let c = CHUNK; c < this.blockSize && id !== GARBAGE; c += CHUNK) {
        if (this.chunk(data, words, at + c, devOff + at + c) !== id) id = GARBAGE;
      }
      out[n++] = id;
    }
    fitLength(out, n);
  }

  private chunk(data: Uint8Array, words: Uint32Array | null, at: number, off: number): number {
    const magic = u32(data, at);
    if (magic === MAGIC) {
      if (u32(data, at + 16) + u32(data, at + 20) * TWO32 !== off || u32(data, at + 28) !== 0) return GARBAGE;
      const cid = u32(data, at + 8) + u32(data, at + 12) * TWO32;
      const seed = (cid * 131 + (off / CHUNK) * 7) & 255;
      if (words) {
        const w = at >>> 2;
        const t = seed * WORDS;
        for (let k = HEADER_WORDS; k < WORDS; k++) if (words[w + k] !== VERIFY[t + k]) return GARBAGE;
      } else {
        for (let i = HEADER_BYTES; i < CHUNK; i++) if (data[at + i] !== ((seed + i) & 255)) return GARBAGE;
      }
      return cid + 1;
    }
    if (this.prefilled) return magic === PREFILL_MAGIC && this.isPrefill(data, words, at, off) ? 0 : GARBAGE;
    if (words) {
      const w = at >>> 2;
      for (let k = 0; k < WORDS; k++) if (words[w + k] !== 0) return GARBAGE;
    } else {
      for (let i = 0; i < CHUNK; i++) if (data[at + i] !== 0) return GARBAGE;
    }
    return 0;
  }

  private isPrefill(data: Uint8Array, words: Uint32Array | null, at: number, off: number): boolean {
    if (u32(data, at + 4) + u32(data, at + 8) * TWO32 !== off) return false;
    const body = prefillBodies();
    const base = ((off / CHUNK) % 256) * CHUNK;
    if (words) {
      prefillWords ??= new Uint32Array(body.buffer, body.byteOffset, body.length >>> 2);
      const w = at >>> 2;
      const t = base >>> 2;
      for (let k = 3; k < WORDS; k++) if (words[w + k] !== prefillWords[t + k]) return false;
      return true;
    }
    for (let i = 12; i < CHUNK; i++) if (data[at + i] !== body[base + i]) return false;
    return true;
  }
}
