/**
 * Verify mode: every 512-byte chunk a job writes starts with a header naming the write
 * (magic, job, content id, chunk offset, CRC32 of the rest), so a read proves which write it saw.
 *
 * A read is correct when each chunk is either zeros and no write to it had completed before the
 * read was issued, or an intact chunk of a write w to that offset that was not superseded when
 * the read was issued: w is superseded by any write w' that completed before the read was issued
 * and was itself issued after w completed. With S = the latest issue time of the writes to the
 * chunk completed before the read's issue, that is: w still in flight, or w.done ≥ S.
 *
 * Trims and writes without verify headers ("opaque" operations) leave a chunk's content
 * undefined: reads of it are not judged (counted as unchecked) while one is in flight, and after
 * one completed until a verify write issued after that completion has completed.
 */
import { crc32 } from 'node:zlib';
import { formatNsExact, type Ns } from '../../hw-sim/engine/time.ts';
import { isPrefillChunk } from '../../hw-sim/disk/prefill.ts';
import { fillChunks, hasBody, putBody, seededChunkCrc } from './chunk-crc.ts';

export const CHUNK = 512;
export const HEADER_BYTES = 32;
const MAGIC = 0x4f525646; // 'ORVF'

const TWO32 = 4294967296;

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 255;
  b[at + 1] = (v >>> 8) & 255;
  b[at + 2] = (v >>> 16) & 255;
  b[at + 3] = (v >>> 24) & 255;
}

function getU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Non-negative integer below 2^53 as two little-endian u32 halves. */
function putU64(b: Uint8Array, at: number, v: number): void {
  putU32(b, at, v % TWO32);
  putU32(b, at + 4, Math.floor(v / TWO32));
}

function getU64(b: Uint8Array, at: number): number {
  return getU32(b, at) + getU32(b, at + 4) * TWO32;
}

/** Fills the chunk at `at` of `buf` for write `cid` of job `job` at device offset `off`. */
export function fillChunk(buf: Uint8Array, at: number, job: number, cid: number, off: number): void {
  const seed = (cid * 131 + (off / CHUNK) * 7) & 255;
  putBody(buf, at, seed);
  putU32(buf, at, MAGIC);
  putU32(buf, at + 4, job);
  putU64(buf, at + 8, cid);
  putU64(buf, at + 16, off);
  putU32(buf, at + 24, seededChunkCrc(buf, at, seed));
}

/** CRC32 of the header (24 bytes) then the body: the precomputed form when the body is its seed's. */
function chunkCrc(buf: Uint8Array, at: number): number {
  const seed = (getU64(buf, at + 8) * 131 + (getU64(buf, at + 16) / CHUNK) * 7) & 255;
  if (hasBody(buf, at, seed)) return seededChunkCrc(buf, at, seed);
  return zlibChunkCrc(buf, at);
}

function zlibChunkCrc(buf: Uint8Array, at: number): number {
  const head = crc32(buf.subarray(at, at + 24));
  return crc32(buf.subarray(at + HEADER_BYTES, at + CHUNK), head);
}

/** Writes known to the verifier, by content id. */
class WriteLog {
  offset = new Float64Array(1024);
  bytes = new Float64Array(1024);
  job = new Int32Array(1024);
  issue = new Float64Array(1024);
  done = new Float64Array(1024);
  n = 0;

  add(offset: number, bytes: number, job: number, issue: Ns): number {
    if (this.n === this.offset.length) this.grow();
    const i = this.n++;
    this.offset[i] = offset;
    this.bytes[i] = bytes;
    this.job[i] = job;
    this.issue[i] = issue;
    this.done[i] = -1;
    return i;
  }

  private grow(): void {
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.offset = g(this.offset);
    this.bytes = g(this.bytes);
    this.job = g(this.job);
    this.issue = g(this.issue);
    this.done = g(this.done);
  }
}

/** Chunk indexes per leaf of ChunkTimes (512 KiB of Float64). */
const LEAF = 1 << 16;

/**
 * A number per chunk index, -1 until set: leaves of a typed array made on first use (a Map per
 * 512 bytes cost ~0.3 s per GB written; one array grown by doubling copied and faulted in twice
 * the memory while a region filled).
 */
class ChunkTimes {
  private readonly leaves: (Float64Array | undefined)[] = [];

  get(k: number): number {
    const hi = Math.floor(k / LEAF);
    const leaf = this.leaves[hi];
    return leaf === undefined ? -1 : leaf[k - hi * LEAF]!;
  }

  /** Raises entries k..k+n-1 to at least `v`: a loop per leaf, not a lookup per entry. */
  raise(k: number, n: number, v: number): void {
    for (let end = k + n; k < end;) {
      const hi = Math.floor(k / LEAF);
      const leaf = this.leaf(hi);
      const from = k - hi * LEAF;
      const to = Math.min(LEAF, end - hi * LEAF);
      for (let i = from; i < to; i++) if (leaf[i]! < v) leaf[i] = v;
      k += to - from;
    }
  }

  private leaf(hi: number): Float64Array {
    let leaf = this.leaves[hi];
    if (leaf === undefined) {
      leaf = new Float64Array(LEAF).fill(-1);
      this.leaves[hi] = leaf;
    }
    return leaf;
  }
}

export class Verifier {
  private readonly writes = new WriteLog();
  /** Per chunk: latest issue time of the completed writes covering it (-1: none). */
  private readonly lastDoneIssue = new ChunkTimes();
  /** Per chunk: opaque operations in flight, and the latest completion of one. */
  private readonly opaqueInFlight = new Map<number, number>();
  private readonly opaqueDone = new Map<number, number>();
  /** The device starts with the prefill pattern: a pattern chunk is its initial content, as zeros are otherwise. */
  prefilled = false;
  checked = 0;
  unchecked = 0;
  violations = 0;
  readonly messages: string[] = [];

  /** Registers a write about to be issued and fills its buffer; returns its content id. */
  beginWrite(buf: Uint8Array, offset: number, bytes: number, job: number, now: Ns): number {
    const cid = this.writes.add(offset, bytes, job, now);
    fillChunks(buf, bytes, MAGIC, job, cid, offset);
    return cid;
  }

  endWrite(cid: number, now: Ns, ok: boolean): void {
    const w = this.writes;
    w.done[cid] = now;
    if (!ok) return; // a failed write may or may not have landed: S is left as it was
    this.lastDoneIssue.raise(w.offset[cid]! / CHUNK, Math.ceil(w.bytes[cid]! / CHUNK), w.issue[cid]!);
  }

  /** Registers a write that carries no headers (a job without verify); returns its content id. */
  beginOpaqueWrite(offset: number, bytes: number, job: number, now: Ns): number {
    this.beginTrim(offset, bytes);
    return this.writes.add(offset, bytes, job, now);
  }

  /** A trim or a write without headers is issued over the range. */
  beginTrim(offset: number, bytes: number): void {
    for (let c = 0; c < bytes; c += CHUNK) {
      const k = (offset + c) / CHUNK;
      this.opaqueInFlight.set(k, (this.opaqueInFlight.get(k) ?? 0) + 1);
    }
  }

  endTrim(offset: number, bytes: number, now: Ns): void {
    for (let c = 0; c < bytes; c += CHUNK) {
      const k = (offset + c) / CHUNK;
      const n = (this.opaqueInFlight.get(k) ?? 1) - 1;
      if (n > 0) this.opaqueInFlight.set(k, n);
      else this.opaqueInFlight.delete(k);
      this.opaqueDone.set(k, now);
    }
  }

  /** Snapshot of S for each chunk of a read about to be issued (-2: content undefined). */
  beginRead(offset: number, bytes: number, snap: Float64Array): void {
    for (let c = 0, i = 0; c < bytes; c += CHUNK, i++) {
      const k = (offset + c) / CHUNK;
      const s = this.lastDoneIssue.get(k);
      const od = this.opaqueDone.get(k);
      snap[i] = this.opaqueInFlight.has(k) || (od !== undefined && s <= od) ? -2 : s;
    }
  }

  /**
   * Checks a completed read; fills `observed` (content id per chunk, -1 for zeros, -2 for
   * garbage) and returns the number of bad chunks.
   */
  endRead(buf: Uint8Array, offset: number, bytes: number, snap: Float64Array, observed: Float64Array | null, now: Ns): number {
    let bad = 0;
    for (let c = 0, i = 0; c < bytes; c += CHUNK, i++) {
      const skip = snap[i] === -2 || this.opaqueInFlight.has((offset + c) / CHUNK);
      const why = this.checkChunk(buf, c, offset + c, skip ? -1 : snap[i]!);
      const cid = why === null ? this.lastCid : why === 'zero' ? -1 : -2;
      if (observed) observed[i] = cid;
      if (skip) {
        this.unchecked++;
        continue;
      }
      this.checked++;
      if (why !== null && why !== 'zero') {
        bad++;
        this.violations++;
        if (this.messages.length < 20) this.messages.push(`read at ${formatNsExact(now)}, chunk ${offset + c}: ${why}`);
      }
    }
    return bad;
  }

  private lastCid = -1;

  /** null when the chunk is an acceptable write (its id in lastCid), 'zero' for acceptable zeros, else the reason. */
  private checkChunk(buf: Uint8Array, at: number, off: number, s: number): string | null {
    if (getU32(buf, at) !== MAGIC) {
      if (this.prefilled && isPrefillChunk(buf, at, off)) return s < 0 ? 'zero' : 'the prefill pattern, but a write to it had completed before the read was issued';
      for (let i = 0; i < CHUNK; i++) if (buf[at + i] !== 0) return 'neither zeros nor a verify header';
      return s < 0 ? 'zero' : 'zeros, but a write to it had completed before the read was issued';
    }
    if (getU32(buf, at + 24) !== chunkCrc(buf, at)) return 'CRC mismatch';
    const cid = getU64(buf, at + 8);
    const w = this.writes;
    if (cid >= w.n) return `unknown content id ${cid}`;
    if (getU64(buf, at + 16) !== off) return `chunk of offset ${getU64(buf, at + 16)} found at ${off}`;
    if (getU32(buf, at + 4) !== w.job[cid]) return `job id ${getU32(buf, at + 4)} does not match write ${cid}`;
    if (off < w.offset[cid]! || off >= w.offset[cid]! + w.bytes[cid]!) return `write ${cid} never covered this offset`;
    const done = w.done[cid]!;
    if (done >= 0 && done < s) return `stale data: write ${cid} (done at ${done}) was superseded by a write issued at ${s}`;
    this.lastCid = cid;
    return null;
  }
}
