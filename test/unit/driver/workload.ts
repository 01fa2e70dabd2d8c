// A small fio-like verify workload for driver tests: random 4 KiB reads and writes at a fixed
// queue depth over distinct blocks; every read is checked against the last acknowledged write.
import { REQ_OP } from '../../../kernel/block/types.ts';
import type { Bio } from '../../../kernel/block/bio.ts';
import type { Rig } from './harness.ts';

export const BS = 4096;

export interface VerifyResult {
  submitted: number;
  completed: number;
  errors: number;
  mismatches: number;
  doubleCompletions: number;
  writesAcked: number;
}

/** Byte i of version v of block b. */
export function patternByte(b: number, v: number, i: number): number {
  return (b * 131 + v * 31 + i * 7 + ((i >> 8) * 13)) & 0xff;
}

export function fillPattern(buf: Uint8Array, b: number, v: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = patternByte(b, v, i);
}

export class VerifyWorkload {
  /** Last acknowledged version per block (0 = never written: zeroes). */
  readonly acked: Int32Array;
  private readonly inflight = new Set<number>();
  private readonly meta = new Map<Bio, { block: number; version: number; buf: Uint8Array }>();
  private readonly seen = new Set<Bio>();
  private nextVersion = 1;
  readonly res: VerifyResult = { submitted: 0, completed: 0, errors: 0, mismatches: 0, doubleCompletions: 0, writesAcked: 0 };
  private left: number;
  private stopped = false;

  constructor(private readonly r: Rig, readonly blocks: number, readonly iodepth: number, total: number, readPct = 50, private readonly streamName = 'test/workload') {
    this.acked = new Int32Array(blocks);
    this.left = total;
    this.readPct = readPct;
    r.blk.onComplete = (rq, errno) => this.onComplete(rq, errno);
  }
  private readonly readPct: number;

  /** The first `iodepth` requests go under one plug, as fio's first batch. */
  start(): void {
    this.r.blk.plugged(() => { for (let i = 0; i < this.iodepth; i++) this.issue(); });
  }

  stop(): void {
    this.stopped = true;
  }

  private issue(): void {
    if (this.left <= 0 || this.stopped) return;
    const rng = this.r.engine.rng.get(this.streamName);
    let b = rng.int(this.blocks);
    for (let k = 0; this.inflight.has(b) && k < this.blocks; k++) b = (b + 1) % this.blocks;
    if (this.inflight.has(b)) return;
    const isRead = rng.int(100) < this.readPct;
    const buf = new Uint8Array(BS);
    const version = isRead ? 0 : this.nextVersion++;
    if (!isRead) fillPattern(buf, b, version);
    const rq = this.r.blk.submit(isRead ? REQ_OP.READ : REQ_OP.WRITE, b * BS, BS, buf);
    if (!rq) return;
    this.left--;
    this.inflight.add(b);
    this.meta.set(rq, { block: b, version, buf });
    this.res.submitted++;
  }

  private onComplete(rq: Bio, errno: number): void {
    if (this.seen.has(rq)) { this.res.doubleCompletions++; return; }
    this.seen.add(rq);
    const m = this.meta.get(rq);
    if (!m) return;
    this.res.completed++;
    this.inflight.delete(m.block);
    if (errno !== 0) this.res.errors++;
    else if (rq.op === REQ_OP.WRITE) { this.acked[m.block] = m.version; this.res.writesAcked++; }
    else {
      const v = this.acked[m.block]!;
      for (let i = 0; i < BS; i++) {
        const want = v === 0 ? 0 : patternByte(m.block, v, i);
        if (m.buf[i] !== want) { this.res.mismatches++; break; }
      }
    }
    this.issue();
  }
}
