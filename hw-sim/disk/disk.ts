import type { Engine, EventHandle } from '../engine/engine.ts';
import type { BlockError, DoneCallback, Extent, RangeReadCallback, ReadCallback, StatusCallback } from './disk-io.ts';
import { checkRange } from './disk-io.ts';
import { FaultSet } from './faults.ts';
import type { Rng } from '../engine/rng.ts';
import { DmaEngine, byReference, type DmaDescriptor, type DmaStatus } from '../dma/dma.ts';
import { CachedMedia } from './cached-media.ts';
import { diskPreset, type DiskOp, type ServiceTimeModel } from './presets.ts';
import type { PrefillKind } from './prefill.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_SUBMIT = traceShape('disk.submit', ['op', 'off', 'len', 'fua', 'rid']);
const TRACE_DONE = traceShape('disk.done', ['op', 'off', 'len', 'err', 'ns', 'rid']);

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
  /** What never-written pages hold: zeros (holes, default) or the prefill pattern (data). */
  prefill?: PrefillKind;
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

/** One request in the disk: waiting for a slot, then in service until its completion event. Records are reused. */
interface DiskRequest {
  op: DiskOp;
  offset: number;
  length: number;
  data: Uint8Array | null;
  fua: boolean;
  mayTrim: boolean;
  done: DoneCallback | null;
  onRead: ReadCallback | null;
  /** readRange's callback (set after request(); null in pooled records). */
  onRange: RangeReadCallback | null;
  onStatus: StatusCallback | null;
  /** Trace context: the block request served (-1: none). */
  rid: number;
  submittedAt: number;
  error: BlockError | null;
  event: EventHandle | null;
  /** The completion event's function, made once per record. */
  fire: () => void;
  /** The data transfer's DMA descriptor, made once per record. */
  readonly dma: DmaDescriptor;
  /** Injected bug disk-dma-error-ignored: the transfer failed, success is reported, nothing moved. */
  dmaLost: boolean;
  /** Index in the disk's in-service slots while in service. */
  slot: number;
}

/**
 * A virtual disk: sparse durable media under a volatile page cache (CachedMedia), with service
 * times from a model and injectable faults. The data of a read or write moves through the disk
 * controller's DMA engine (`dma`, one channel as deep as the disk's queue, at the model's
 * bandwidth, after the access latency), whose completion completes the request: a failed
 * descriptor (`dma.setErrorRate`, `dma.failNext`) fails it with EIO, nothing moved. Writes land in the cache at completion; FLUSH moves
 * the cache to the media, FUA writes go to both. `crash()` (power loss) drops the cache and every
 * request in the disk, so exactly the writes completed since the last FLUSH (and not FUA) are lost.
 *
 * A read completes with a view of the disk's pooled read buffer (or, for one whole page that
 * holds data, the page itself) and extents in reused records: all valid during the callback only
 * and read-only (a server sends them at once; the kernel's TCP send queue copies on send).
 * Callers that keep them copy them.
 */
export class VirtualDisk {
  readonly name: string;
  readonly size: number;
  readonly model: ServiceTimeModel;
  readonly pageSize: number;
  readonly writeCache: boolean;
  readonly faults: FaultSet;
  private readonly store: CachedMedia;
  private readonly waiting: DiskRequest[] = [];
  private waitHead = 0;
  /** Requests in service: slots [0, inServiceN), each record knows its slot (a Set's add and delete allocated). */
  private readonly inService: (DiskRequest | null)[] = [];
  private inServiceN = 0;
  private readonly freeRecords: DiskRequest[] = [];
  /** The controller's DMA engine: channel 0 moves every request's data, in order. */
  readonly dma: DmaEngine;
  private jitterRng: Rng | null = null;
  /** Pooled read buffer and the last view of it handed out (reads of one size reuse the view). */
  private readPool = new Uint8Array(0);
  private readView = new Uint8Array(0);
  readonly stats: DiskStats = {
    reads: 0, writes: 0, flushes: 0, trims: 0, zeroes: 0, statusQueries: 0, bytesRead: 0, bytesWritten: 0, errors: 0, crashes: 0, busyNs: 0,
  };

  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;

  constructor(private readonly engine: Engine, opts: VirtualDiskOptions) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 0) throw new RangeError(`disk '${opts.name}': size must be a non-negative integer, got ${opts.size}`);
    this.name = opts.name;
    this.traceSrc = traceSource(this.name);
    this.size = opts.size;
    this.model = typeof opts.model === 'object' ? opts.model : diskPreset(opts.model ?? 'nvme');
    if (!(this.model.queueDepth >= 1)) throw new RangeError(`disk '${opts.name}': queue depth must be ≥ 1`);
    if (!(this.model.bandwidth > 0)) throw new RangeError(`disk '${opts.name}': bandwidth must be > 0`);
    this.pageSize = opts.pageSize ?? 4096;
    this.writeCache = opts.writeCache ?? true;
    this.store = new CachedMedia(this.pageSize, this.writeCache, engine.bugs.has('disk-prefill-ignored') ? 'zeros' : opts.prefill ?? 'zeros');
    this.faults = new FaultSet((n) => engine.rng.get(n), `${opts.name}/faults`);
    this.dma = new DmaEngine(engine, opts.name, null, {
      name: 'dma', channels: 1, ringSize: this.model.queueDepth, setupNs: 0, bytesPerSecond: this.model.bandwidth, traceCompletions: false,
    });
  }

  /** Requests in service / waiting for a slot. */
  get inFlight(): number {
    return this.inServiceN;
  }
  get queued(): number {
    return this.waiting.length - this.waitHead;
  }
  /** Pages written since the last flush (lost on a crash). */
  get dirtyPages(): number {
    return this.store.dirtyPages;
  }
  /** Bytes allocated on the durable media. */
  get allocatedBytes(): number {
    return this.store.allocatedBytes;
  }

  // `rid`: trace context, the block request this operation serves (its records name it); -1 none.
  read(offset: number, length: number, cb: ReadCallback, rid = -1): void {
    this.submit(this.request('read', offset, length, null, false, false, null, cb, null, rid));
  }
  /** read(), the data handed over as a range of a larger buffer (a whole page: where it lives, no view made). */
  readRange(offset: number, length: number, cb: RangeReadCallback, rid = -1): void {
    const r = this.request('read', offset, length, null, false, false, null, null, null, rid);
    r.onRange = cb;
    this.submit(r);
  }
  /** `data` is kept by reference until the write completes (it is applied then). */
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.submit(this.request('write', offset, data.length, data, fua, false, cb, null, null, rid));
  }
  flush(cb: DoneCallback, rid = -1): void {
    this.submit(this.request('flush', 0, 0, null, false, false, cb, null, null, rid));
  }
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.submit(this.request('trim', offset, length, null, fua, true, cb, null, null, rid));
  }
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback, rid = -1): void {
    this.submit(this.request('zero', offset, length, null, fua, mayTrim, cb, null, null, rid));
  }
  blockStatus(offset: number, length: number, cb: StatusCallback, rid = -1): void {
    this.submit(this.request('status', offset, length, null, false, false, null, null, cb, rid));
  }

  /** Power loss: the cache and every queued or in-service request vanish without completing. */
  crash(): void {
    const lost = this.engine.bugs.has('crash-keeps-unflushed') ? 0 : this.store.drop();
    const dropped = this.inServiceN + this.queued;
    this.dma.abort(0);
    for (let i = 0; i < this.inServiceN; i++) {
      const r = this.inService[i]!;
      this.inService[i] = null;
      this.engine.cancel(r.event);
      this.release(r);
    }
    this.inServiceN = 0;
    for (let i = this.waitHead; i < this.waiting.length; i++) this.release(this.waiting[i]!);
    this.waiting.length = 0;
    this.waitHead = 0;
    this.stats.crashes++;
    this.engine.trace.emit(this.name, 'disk.crash', { lostDirtyPages: lost, droppedRequests: dropped });
  }

  /** The current contents (cache over media), without service time: for checkers and tests. */
  peek(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.store.read(offset, length, out);
    return out;
  }

  /** What the media holds (what survives a crash), without service time. */
  peekDurable(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.store.readDurable(offset, length, out);
    return out;
  }

  private request(op: DiskOp, offset: number, length: number, data: Uint8Array | null, fua: boolean, mayTrim: boolean,
    done: DoneCallback | null, onRead: ReadCallback | null, onStatus: StatusCallback | null, rid: number): DiskRequest {
    let r = this.freeRecords.pop();
    if (r === undefined) {
      const rec: DiskRequest = {
        op, offset, length, data, fua, mayTrim, done, onRead, onRange: null, onStatus, rid, submittedAt: 0, error: null, event: null, fire: () => this.complete(rec),
        dma: byReference((st) => this.transferred(rec, st)), dmaLost: false, slot: -1,
      };
      r = rec;
    } else {
      r.op = op;
      r.offset = offset;
      r.length = length;
      r.data = data;
      r.fua = fua;
      r.mayTrim = mayTrim;
      r.done = done;
      r.onRead = onRead;
      r.onStatus = onStatus;
      r.rid = rid;
    }
    r.submittedAt = this.engine.now;
    r.error = null;
    r.event = null;
    r.dmaLost = false;
    return r;
  }

  /** Back to the pool, holding on to nothing of its caller's. */
  private release(r: DiskRequest): void {
    r.data = null;
    r.done = null;
    r.onRead = null;
    r.onRange = null;
    r.onStatus = null;
    r.event = null;
    this.freeRecords.push(r);
  }

  private submit(r: DiskRequest): void {
    if (this.engine.trace.enabled) TRACE_SUBMIT.emit(this.engine.trace, this.traceSrc, r.op, r.offset, r.length, r.fua, r.rid >= 0 ? r.rid : undefined);
    if (r.op !== 'flush') r.error = checkRange(this.size, r.offset, r.length);
    if (this.inServiceN < this.model.queueDepth) this.start(r);
    else this.waiting.push(r);
  }

  private start(r: DiskRequest): void {
    const m = this.model;
    if (r.error === null) r.error = this.faults.check(r.op, r.offset, r.length);
    let latency = latencyOf(m.latencyNs, r.op);
    if (m.jitter > 0 && latency > 0) {
      this.jitterRng ??= this.engine.rng.get(`${this.name}/jitter`);
      latency = Math.max(0, Math.round(latency * (1 + m.jitter * this.jitterRng.normal())));
    }
    const doneAt = this.engine.now + latency;
    const bytes = r.error === null && (r.op === 'read' || r.op === 'write') ? r.length : 0;
    r.slot = this.inServiceN;
    this.inService[this.inServiceN++] = r;
    if (bytes > 0) {
      // The data moves after the access latency, behind earlier transfers; its completion is the request's.
      r.dma.bytes = bytes;
      r.dma.notBefore = doneAt;
      if (this.dma.submit(0, r.dma)) return;
      r.error = 'EIO'; // unreachable: the ring is as deep as the disk's queue
    }
    r.event = this.engine.scheduleAt(doneAt, r.fire, 'disk.complete');
  }

  /** A request's data transfer is done: a failed DMA fails the request, nothing moved. */
  private transferred(r: DiskRequest, status: DmaStatus): void {
    if (status === 'error') {
      if (this.engine.bugs.has('disk-dma-error-ignored')) r.dmaLost = true; // injected
      else r.error = 'EIO';
    }
    this.complete(r);
  }

  private complete(r: DiskRequest): void {
    // The last in-service record takes this one's slot.
    const last = this.inService[--this.inServiceN]!;
    last.slot = r.slot;
    this.inService[r.slot] = last;
    this.inService[this.inServiceN] = null;
    r.event = null;
    let data: Uint8Array | null = null;
    // Where the data starts in `data` (readRange).
    let at = 0;
    let extents: readonly Extent[] | null = null;
    if (r.error === null) {
      switch (r.op) {
        case 'read': {
          // A whole page to a range reader: where it lives (the page object, likely cold, untouched).
          const loc = r.onRange !== null && !r.dmaLost ? this.store.wholePageAt(r.offset, r.length) : -1;
          if (loc >= 0) {
            data = this.store.bytesOf(loc);
            at = this.store.offsetOf(loc);
            extents = this.store.dataExtent(r.length);
            break;
          }
          if (r.dmaLost) data = this.readBuffer(r.length).fill(0); // injected: the host buffer never received the data
          else {
            // A whole page is handed over as it is (no 4 KiB copy); anything else is copied into the pool.
            data = this.store.wholePage(r.offset, r.length);
            if (data !== null) {
              extents = this.store.dataExtent(r.length);
              break;
            }
            this.store.read(r.offset, r.length, data = this.readBuffer(r.length));
          }
          extents = this.store.extents(r.offset, r.length);
          break;
        }
        case 'write':
          if (!r.dmaLost) this.store.write(r.offset, r.data!, r.fua && !this.engine.bugs.has('disk-fua-ignored'));
          break;
        case 'flush':
          if (!this.engine.bugs.has('flush-not-persisted')) this.store.flush();
          break;
        case 'trim':
        case 'zero':
          this.store.zero(r.offset, r.length, r.mayTrim, r.fua);
          break;
        case 'status':
          extents = this.store.extents(r.offset, r.length);
          break;
      }
    }
    this.count(r);
    if (this.engine.trace.enabled) TRACE_DONE.emit(this.engine.trace, this.traceSrc, r.op, r.offset, r.length, r.error, this.engine.now - r.submittedAt, r.rid >= 0 ? r.rid : undefined);
    if (this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead]!;
      this.waiting[this.waitHead++] = undefined as never;
      if (this.waitHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitHead = 0;
      }
      this.start(next);
    }
    const { onRead, onRange, onStatus, done, error } = r;
    this.release(r);
    if (onRange) onRange(error, data, at, extents);
    else if (onRead) onRead(error, data, extents);
    else if (onStatus) onStatus(error, extents);
    else done!(error);
  }

  /** A view of `length` bytes of the pooled read buffer (valid until the next read completes). */
  private readBuffer(length: number): Uint8Array {
    if (this.readView.length === length) return this.readView;
    if (this.readPool.length < length) {
      let n = Math.max(this.readPool.length, this.pageSize);
      while (n < length) n *= 2;
      this.readPool = new Uint8Array(n);
    }
    this.readView = this.readPool.subarray(0, length);
    return this.readView;
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
}

/**
 * The model's latency of an op, by name: a lookup keyed by the op string went megamorphic once a
 * disk had served several kinds of op (a stub-cache probe per request).
 */
function latencyOf(l: Readonly<Record<DiskOp, number>>, op: DiskOp): number {
  switch (op) {
    case 'read': return l.read;
    case 'write': return l.write;
    case 'flush': return l.flush;
    case 'trim': return l.trim;
    case 'zero': return l.zero;
    case 'status': return l.status;
  }
}
