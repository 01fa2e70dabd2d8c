/**
 * A store as the server program uses it on a host with a CPU model: every request first costs
 * the program's per-request work (and, for READ and WRITE, the copy of its payload between the
 * socket buffers and the disk buffer) on one of the host's cores, then goes to the store. The
 * work queues behind whatever the core is doing, so a busy server CPU becomes latency.
 */
import type { Cpu } from '../../../../hw-sim/cpu/cpu.ts';
import { perByteNs, type CpuCosts } from '../../../../hw-sim/cpu/costs.ts';
import type { BlockStore, DoneCallback, ReadCallback, StatusCallback } from './block-store.ts';

export class CostedStore implements BlockStore {
  readonly size: number;

  constructor(private readonly inner: BlockStore, private readonly cpu: Cpu, private readonly costs: CpuCosts) {
    this.size = inner.size;
  }

  /** The request's work on the least loaded core, then `fn`. */
  private work(bytes: number, fn: () => void): void {
    const cost = this.costs.serverRequestNs + perByteNs(this.costs.copyNsPerByte, bytes);
    this.cpu.run(this.cpu.leastLoaded(), cost, fn, 'nbd-server.request');
  }

  // A read's reply is copied out during its callback (the disk's buffer is valid only then), so
  // the copy is charged up front with the request.
  read(offset: number, length: number, cb: ReadCallback, rid = -1): void {
    this.work(length, () => this.inner.read(offset, length, cb, rid));
  }
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.work(data.length, () => this.inner.write(offset, data, fua, cb, rid));
  }
  flush(cb: DoneCallback, rid = -1): void {
    this.work(0, () => this.inner.flush(cb, rid));
  }
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.work(0, () => this.inner.trim(offset, length, fua, cb, rid));
  }
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.work(0, () => this.inner.zero(offset, length, mayTrim, fua, cb, rid));
  }
  blockStatus(offset: number, length: number, cb: StatusCallback, rid = -1): void {
    this.work(0, () => this.inner.blockStatus(offset, length, cb, rid));
  }
}
