import type { Engine, EventHandle } from '../engine/engine.ts';
import type { BlockError, BlockStore, DoneCallback, Extent, ReadCallback, StatusCallback } from './block-store.ts';
import { checkRange } from './block-store.ts';
import { FaultSet } from './faults.ts';
import { diskPreset, type DiskOp, type ServiceTimeModel } from './presets.ts';
import { extentsOf, forEachPageRun, SparsePages } from './sparse-pages.ts';

export interface VirtualDiskOptions {
  /** Trace source and RNG prefix, e.g. `server-a/disk0`. */
  name: string;
  size: number;
  /** A preset name (ram, nvme, ssd, hdd) or a full model; default nvme. */
  model?: ServiceTimeModel | string;
  /** Allocation and cache granule; default 4096. */
  pageSize?: number;
  /** Volatile write cache in front of the media (default true); false = write-through. */
  writeCache?: boolean;
}

/** Counters of one disk since it was built (for management commands and checkers). */
export interface DiskStats {
  reads: number;
  writes: number;
  flushes: number;
  trims: number;
  zeroes: number;
  statusQueries: number;
  bytesRead: number;
  bytesWritten: number;
  errors: number;
  crashes: number;
  /** Sum of service times (submit to completion) in ns, over completed requests. */
  busyNs: number;
}

/** One request in the disk: waiting for a slot, then in service until its completion event. */
interface DiskRequest {
  op: DiskOp;
  offset: number;
  length: number;
  data: Uint8Array | null;
  fua: boolean;
  mayTrim: boolean;
  done: DoneCallback | null;
  onRead: ReadCallback | null;
  onStatus: StatusCallback | null;
  submittedAt: number;
  error: BlockError | null;
  event: EventHandle | null;
}

/**
 * A virtual disk: sparse durable media under a volatile page cache, with service times from a
 * model and injectable faults. Writes land in the cache at completion; FLUSH moves the cache to
 * the media, FUA writes go to both. `crash()` (power loss) drops the cache and every request in
 * the disk, so exactly the writes completed since the last FLUSH (and not FUA) are lost.
 */
export class VirtualDisk implements BlockStore {
  readonly name: string;
  readonly size: number;
  readonly model: ServiceTimeModel;
  readonly pageSize: number;
  readonly writeCache: boolean;
  readonly faults: FaultSet;
  private readonly media: SparsePages;
  /** Dirty pages over the media: a page copy, or null for a deallocated page. */
  private readonly cache = new Map<number, Uint8Array | null>();
  private readonly waiting: DiskRequest[] = [];
  private waitHead = 0;
  private readonly inService = new Set<DiskRequest>();
  private busFreeAt = 0;
  readonly stats: DiskStats = {
    reads: 0, writes: 0, flushes: 0, trims: 0, zeroes: 0, statusQueries: 0, bytesRead: 0, bytesWritten: 0, errors: 0, crashes: 0, busyNs: 0,
  };

  constructor(private readonly engine: Engine, opts: VirtualDiskOptions) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 0) throw new RangeError(`disk '${opts.name}': size must be a non-negative integer, got ${opts.size}`);
    this.name = opts.name;
    this.size = opts.size;
    this.model = typeof opts.model === 'object' ? opts.model : diskPreset(opts.model ?? 'nvme');
    if (!(this.model.queueDepth >= 1)) throw new RangeError(`disk '${opts.name}': queue depth must be ≥ 1`);
    if (!(this.model.bandwidth > 0)) throw new RangeError(`disk '${opts.name}': bandwidth must be > 0`);
    this.pageSize = opts.pageSize ?? 4096;
    this.writeCache = opts.writeCache ?? true;
    this.media = new SparsePages(this.pageSize);
    this.faults = new FaultSet((n) => engine.rng.get(n), `${opts.name}/faults`);
  }

  /** Requests in service / waiting for a slot. */
  get inFlight(): number {
    return this.inService.size;
  }
  get queued(): number {
    return this.waiting.length - this.waitHead;
  }
  /** Pages written since the last flush (lost on a crash). */
  get dirtyPages(): number {
    return this.cache.size;
  }
  /** Bytes allocated on the durable media. */
  get allocatedBytes(): number {
    return this.media.allocatedPages * this.pageSize;
  }

  read(offset: number, length: number, cb: ReadCallback): void {
    this.submit(this.request('read', offset, length, null, false, false, null, cb, null));
  }
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback): void {
    this.submit(this.request('write', offset, data.length, data, fua, false, cb, null, null));
  }
  flush(cb: DoneCallback): void {
    this.submit(this.request('flush', 0, 0, null, false, false, cb, null, null));
  }
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback): void {
    this.submit(this.request('trim', offset, length, null, fua, true, cb, null, null));
  }
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback): void {
    this.submit(this.request('zero', offset, length, null, fua, mayTrim, cb, null, null));
  }
  blockStatus(offset: number, length: number, cb: StatusCallback): void {
    this.submit(this.request('status', offset, length, null, false, false, null, null, cb));
  }

  /** Power loss: the cache and every queued or in-service request vanish without completing. */
  crash(): void {
    const lost = this.cache.size;
    const dropped = this.inService.size + this.queued;
    for (const r of this.inService) this.engine.cancel(r.event);
    this.inService.clear();
    this.waiting.length = 0;
    this.waitHead = 0;
    this.cache.clear();
    this.busFreeAt = this.engine.now;
    this.stats.crashes++;
    this.engine.trace.emit(this.name, 'disk.crash', { lostDirtyPages: lost, droppedRequests: dropped });
  }

  /** The current contents (cache over media), without service time: for checkers and tests. */
  peek(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.copyOut(offset, length, out);
    return out;
  }

  /** What the media holds (what survives a crash), without service time. */
  peekDurable(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.media.read(offset, length, out);
    return out;
  }

  private request(op: DiskOp, offset: number, length: number, data: Uint8Array | null, fua: boolean, mayTrim: boolean,
    done: DoneCallback | null, onRead: ReadCallback | null, onStatus: StatusCallback | null): DiskRequest {
    return { op, offset, length, data, fua, mayTrim, done, onRead, onStatus, submittedAt: this.engine.now, error: null, event: null };
  }

  private submit(r: DiskRequest): void {
    if (this.engine.trace.enabled) this.engine.trace.emit(this.name, 'disk.submit', { op: r.op, off: r.offset, len: r.length, fua: r.fua });
    if (r.op !== 'flush') r.error = checkRange(this.size, r.offset, r.length);
    if (this.inService.size < this.model.queueDepth) this.start(r);
    else this.waiting.push(r);
  }

  private start(r: DiskRequest): void {
    const m = this.model;
    if (r.error === null) r.error = this.faults.check(r.op, r.offset, r.length);
    let latency = m.latencyNs[r.op];
    if (m.jitter > 0 && latency > 0) {
      latency = Math.max(0, Math.round(latency * (1 + m.jitter * this.engine.rng.get(`${this.name}/jitter`).normal())));
    }
    let doneAt = this.engine.now + latency;
    const bytes = r.error === null && (r.op === 'read' || r.op === 'write') ? r.length : 0;
    if (bytes > 0) {
      const xferStart = Math.max(doneAt, this.busFreeAt);
      doneAt = xferStart + Math.ceil((bytes * 1e9) / m.bandwidth);
      this.busFreeAt = doneAt;
    }
    this.inService.add(r);
    r.event = this.engine.scheduleAt(doneAt, () => this.complete(r), 'disk.complete');
  }

  private complete(r: DiskRequest): void {
    this.inService.delete(r);
    r.event = null;
    let data: Uint8Array | null = null;
    let extents: Extent[] | null = null;
    if (r.error === null) {
      switch (r.op) {
        case 'read':
          data = new Uint8Array(r.length);
          this.copyOut(r.offset, r.length, data);
          extents = this.extents(r.offset, r.length);
          break;
        case 'write':
          this.applyWrite(r.offset, r.data!, r.fua);
          break;
        case 'flush':
          this.flushCache();
          break;
        case 'trim':
        case 'zero':
          this.applyZero(r.offset, r.length, r.mayTrim, r.fua);
          break;
        case 'status':
          extents = this.extents(r.offset, r.length);
          break;
      }
    }
    this.count(r);
    if (this.engine.trace.enabled) {
      this.engine.trace.emit(this.name, 'disk.done', { op: r.op, off: r.offset, len: r.length, err: r.error, ns: this.engine.now - r.submittedAt });
    }
    if (this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead]!;
      this.waiting[this.waitHead++] = undefined as never;
      if (this.waitHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitHead = 0;
      }
      this.start(next);
    }
    if (r.onRead) r.onRead(r.error, data, extents);
    else if (r.onStatus) r.onStatus(r.error, extents);
    else r.done!(r.error);
  }

  private count(r: DiskRequest): void {
    const st = this.stats;
    st.busyNs += this.engine.now - r.submittedAt;
    if (r.error !== null) {
      st.errors++;
      return;
    }
    switch (r.op) {
      case 'read': st.reads++; st.bytesRead += r.length; break;
      case 'write': st.writes++; st.bytesWritten += r.length; break;
      case 'flush': st.flushes++; break;
      case 'trim': st.trims++; break;
      case 'zero': st.zeroes++; break;
      case 'status': st.statusQueries++; break;
    }
  }

  private pageView(idx: number): Uint8Array | undefined {
    const c = this.cache.get(idx);
    if (c !== undefined) return c ?? undefined;
    return this.cache.has(idx) ? undefined : this.media.getPage(idx);
  }

  private extents(offset: number, length: number): Extent[] {
    return extentsOf(offset, length, this.pageSize, (idx) => this.pageView(idx) !== undefined);
  }

  private copyOut(offset: number, length: number, out: Uint8Array): void {
    forEachPageRun(offset, length, this.pageSize, (idx, inPage, n, done) => {
      const page = this.pageView(idx);
      if (page) out.set(page.subarray(inPage, inPage + n), done);
      else out.fill(0, done, done + n);
    });
  }

  /** A cache page to modify: the dirty copy, or a fresh copy of the current view. */
  private dirtyPage(idx: number): Uint8Array {
    const c = this.cache.get(idx);
    if (c) return c;
    const page = new Uint8Array(this.pageSize);
    if (!this.cache.has(idx)) {
      const durable = this.media.getPage(idx);
      if (durable) page.set(durable);
    }
    this.cache.set(idx, page);
    return page;
  }

  private applyWrite(offset: number, data: Uint8Array, fua: boolean): void {
    if (!this.writeCache || fua) this.media.write(offset, data);
    if (!this.writeCache) return;
    forEachPageRun(offset, data.length, this.pageSize, (idx, inPage, n, done) => {
      this.dirtyPage(idx).set(data.subarray(done, done + n), inPage);
    });
  }

  private applyZero(offset: number, length: number, dealloc: boolean, fua: boolean): void {
    if (!this.writeCache || fua) this.media.zero(offset, length, dealloc);
    if (!this.writeCache) return;
    forEachPageRun(offset, length, this.pageSize, (idx, inPage, n) => {
      if (n === this.pageSize && dealloc) this.cache.set(idx, null);
      else this.dirtyPage(idx).fill(0, inPage, inPage + n);
    });
  }

  private flushCache(): void {
    for (const [idx, page] of this.cache) this.media.setPage(idx, page);
    this.cache.clear();
  }
}
