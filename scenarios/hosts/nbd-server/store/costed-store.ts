/**
 * A store as the server program uses it on a host with a CPU model: every request first costs
 * the program's per-request work (and, for READ and WRITE, the copy of its payload between the
 * socket buffers and the disk buffer) on one of the host's cores, then goes to the store. The
 * work queues behind whatever the core is doing, so a busy server CPU becomes latency.
 */
import type { Cpu } from '../../../../hw-sim/cpu/cpu.ts';
import { perByteNs, type CpuCosts } from '../../../../hw-sim/cpu/costs.ts';
import type { BlockStore, DoneCallback, RangeReadCallback, ReadCallback, StatusCallback } from './block-store.ts';

const READ = 0;
const WRITE = 1;
const FLUSH = 2;
const TRIM = 3;
const ZERO = 4;
const STATUS = 5;
const READ_RANGE = 6;

/**
 * One request waiting for its CPU work: pooled, with its completion function made once per
 * record, so a request costs no closure (a closure and its context per request were the server's
 * largest allocation after the TCP segments).
 */
interface Work {
  op: number;
  offset: number;
  length: number;
  data: Uint8Array | null;
  fua: boolean;
  mayTrim: boolean;
  rid: number;
  onRead: ReadCallback | null;
  onRange: RangeReadCallback | null;
  onStatus: StatusCallback | null;
  done: DoneCallback | null;
  readonly run: () => void;
}

export class CostedStore implements BlockStore {
  readonly size: number;
  private readonly free: Work[] = [];

  constructor(private readonly inner: BlockStore, private readonly cpu: Cpu, private readonly costs: CpuCosts) {
    this.size = inner.size;
  }

  /** The request's work on the least loaded core, then the store operation `w` describes. */
  private work(bytes: number, w: Work): void {
    const cost = this.costs.serverRequestNs + perByteNs(this.costs.copyNsPerByte, bytes);
    this.cpu.run(this.cpu.leastLoaded(), cost, w.run, 'nbd-server.request');
  }

  private take(op: number, offset: number, length: number, rid: number): Work {
    let w = this.free.pop();
    if (w === undefined) {
      const rec: Work = {
        op, offset, length, data: null, fua: false, mayTrim: false, rid, onRead: null, onRange: null, onStatus: null, done: null,
        run: () => this.start(rec),
      };
      w = rec;
    } else {
      w.op = op;
      w.offset = offset;
      w.length = length;
      w.rid = rid;
      w.fua = false;
      w.mayTrim = false;
    }
    return w;
  }

  /** The CPU work is done: the record goes back to the pool (holding nothing), then the store runs. */
  private start(w: Work): void {
    const { op, offset, length, data, fua, mayTrim, rid, onRead, onRange, onStatus, done } = w;
    w.data = null;
    w.onRead = null;
    w.onRange = null;
    w.onStatus = null;
    w.done = null;
    this.free.push(w);
    switch (op) {
      case READ: return this.inner.read(offset, length, onRead!, rid);
      case READ_RANGE:
        if (this.inner.readRange) return this.inner.readRange(offset, length, onRange!, rid);
        return this.inner.read(offset, length, (e, d, x) => onRange!(e, d, 0, x), rid);
      case WRITE: return this.inner.write(offset, data!, fua, done!, rid);
      case FLUSH: return this.inner.flush(done!, rid);
      case TRIM: return this.inner.trim(offset, length, fua, done!, rid);
      case ZERO: return this.inner.zero(offset, length, mayTrim, fua, done!, rid);
      default: return this.inner.blockStatus(offset, length, onStatus!, rid);
    }
  }

  // A read's reply is copied out during its callback (the disk's buffer is valid only then), so
  // the copy is charged up front with the request.
  read(offset: number, length: number, cb: ReadCallback, rid = -1): void {
    const w = this.take(READ, offset, length, rid);
    w.onRead = cb;
    this.work(length, w);
  }
  readRange(offset: number, length: number, cb: RangeReadCallback, rid = -1): void {
    const w = this.take(READ_RANGE, offset, length, rid);
    w.onRange = cb;
    this.work(length, w);
  }
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback, rid = -1): void {
    const w = this.take(WRITE, offset, data.length, rid);
    w.data = data;
    w.fua = fua;
    w.done = cb;
    this.work(data.length, w);
  }
  flush(cb: DoneCallback, rid = -1): void {
    const w = this.take(FLUSH, 0, 0, rid);
    w.done = cb;
    this.work(0, w);
  }
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback, rid = -1): void {
    const w = this.take(TRIM, offset, length, rid);
    w.fua = fua;
    w.done = cb;
    this.work(0, w);
  }
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback, rid = -1): void {
    const w = this.take(ZERO, offset, length, rid);
    w.mayTrim = mayTrim;
    w.fua = fua;
    w.done = cb;
    this.work(0, w);
  }
  blockStatus(offset: number, length: number, cb: StatusCallback, rid = -1): void {
    const w = this.take(STATUS, offset, length, rid);
    w.onStatus = cb;
    this.work(0, w);
  }
}
