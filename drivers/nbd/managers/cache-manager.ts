/**
 * The local cache on the request path (docs/cache.md). Every request passes `admit` after the
 * command map: a READ fully cached completes locally after its CPU cost; a miss goes to the
 * server, is overlaid with the cache's newer sectors when it returns and fills what the cache
 * lacks; a write updates the cache (write-through) or is absorbed as dirty data (write-back),
 * and a FLUSH waits for the write-back of everything absorbed before it. Read-ahead and
 * write-back travel as the cache's own requests (internal slots after the block layer's tags).
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import { Histogram } from '../../../kernel/lib/histogram.ts';
import { BlockCache, CACHE_BLOCK } from '../cache/block-cache.ts';
import { cacheCostNs, CACHE_TAGS, DIRTY_EXPIRE_NS, SLOT_FLUSH, WB_EXTENTS, type CpuCharge } from '../cache/costs.ts';
import type { EvictionPolicyName } from '../cache/policy.ts';
import { Prefetcher } from '../cache/prefetch.ts';
import { ReadAhead } from '../cache/read-ahead.ts';
import { RecentWrites } from '../cache/recent-writes.ts';
import { WriteBack } from '../cache/write-back.ts';
import { REQ_FUA, REQ_OP } from '../../../kernel/block/types.ts';
import { EIO } from '../../../kernel/lib/errno.ts';
import { NBD_CMD_FLUSH, NBD_CMD_WRITE } from '../protocol/uapi.ts';
import type { NbdCmd } from '../request.ts';
import type { CacheHost } from '../cache/host.ts';

export type CacheMode = 'off' | 'write-through' | 'write-back';

export type { CacheHost } from '../cache/host.ts';

export const CacheVerdict = { PASS: 0, HELD: 1 } as const;

export interface CacheOptions {
  capacityBytes: number;
  readAheadBytes: number;
  writeBack: boolean;
  writeBackBytes: number;
  policy?: EvictionPolicyName;
  tags: number;
  maxIo: number;
  cpu: CpuCharge;
}

const ROLE_NONE = 0, ROLE_MISS = 1, ROLE_PASS = 2, ROLE_HIT = 3;

export class CacheManager {
  readonly blocks: BlockCache;
  readonly prefetch: Prefetcher;
  readonly wb: WriteBack | null;
  readonly mode: CacheMode;
  readonly hitLatency = new Histogram();
  private host: CacheHost | null = null;
  private readonly recent = new RecentWrites();
  private readonly role: Uint8Array;
  private readonly seqAt: Float64Array;
  private readonly passOff: Float64Array;
  private readonly passEnd: Float64Array;
  private passActive = 0;
  private readonly local: (() => void)[] = [];
  private readonly localReq: (NbdCmd | null)[] = [];
  private readonly held: NbdCmd[] = [];
  private readonly heldEpoch: number[] = [];
  /** nbd-cache-flush: epoch it waits for (-1: none) and the bytes it wrote back. */
  private mgmtFlushEpoch = -1;
  /** Write-back extents on the wire when the client crashed: their replies are ignored. */
  private orphans = 0;
  mgmtFlushDone = false;
  flushesHeld = 0;
  throttled = 0;
  absorbed = 0;
  absorbedBytes = 0;
  mgmtFlushes = 0;

  constructor(private readonly engine: Engine, readonly opts: CacheOptions) {
    this.blocks = new BlockCache(opts.capacityBytes, opts.policy ?? 's3-fifo');
    this.prefetch = new Prefetcher(this.blocks, new ReadAhead(this.blocks.enabled ? opts.readAheadBytes : 0, () => this.host?.exportBytes ?? 0),
      opts.maxIo, () => this.host!, (o, l) => this.fillSeq(o, l), this.recent);
    this.mode = !this.blocks.enabled ? 'off' : opts.writeBack && opts.writeBackBytes > 0 ? 'write-back' : 'write-through';
    this.wb = this.mode === 'write-back'
      ? new WriteBack(engine, this.blocks, { limitBytes: opts.writeBackBytes, maxIo: opts.maxIo, inFlight: WB_EXTENTS, expireNs: DIRTY_EXPIRE_NS },
        (x, i) => this.host!.submitInternal(i, NBD_CMD_WRITE, 0, x.offset, x.length, x.data))
      : null;
    if (this.wb) {
      this.wb.onProgress = () => this.retryHeld();
      this.wb.blocked = (o, l) => this.passOverlaps(o, l);
    }
    const n = opts.tags;
    this.role = new Uint8Array(n);
    this.seqAt = new Float64Array(n);
    this.passOff = new Float64Array(n);
    this.passEnd = new Float64Array(n).fill(-1);
    for (let t = 0; t < n; t++) {
      this.localReq.push(null);
      this.local.push(() => { const r = this.localReq[t]!; this.localReq[t] = null; this.host!.completeLocal(r, 0); });
    }
  }

  get enabled(): boolean { return this.blocks.enabled; }
  /** Request slots the cache needs beyond the block layer's tags. */
  get internalTags(): number { return this.enabled ? CACHE_TAGS : 0; }

  bind(host: CacheHost): void { this.host = host; }

  /** A request after the command map: PASS to send it on, HELD when the cache took it over. */
  admit(r: NbdCmd): number {
    if (!this.enabled) return CacheVerdict.PASS;
    const rq = r.rq!;
    this.role[rq.tag] = ROLE_NONE;
    switch (rq.op) {
      case REQ_OP.READ: return this.read(r);
      case REQ_OP.WRITE: case REQ_OP.WRITE_ZEROES: case REQ_OP.DISCARD: return this.write(r, rq.op, (rq.flags & REQ_FUA) !== 0);
      case REQ_OP.FLUSH: return this.flush(r);
      default: return CacheVerdict.PASS;
    }
  }

  private read(r: NbdCmd): number {
    const c = this.blocks;
    this.prefetch.onRead(r.offset, r.length);
    if (c.covers(r.offset, r.length)) {
      c.read(r.offset, r.length, this.host!.dataOf(r)!, 0);
      this.role[r.rq!.tag] = ROLE_HIT;
      this.completeAfter(r, r.length);
      return CacheVerdict.HELD;
    }
    c.counters.misses++;
    this.role[r.rq!.tag] = ROLE_MISS;
    this.seqAt[r.rq!.tag] = this.fillSeq(r.offset, r.length);
    if (!this.engine.bugs.has('cache-read-unpinned')) c.pin(r.offset, r.length, 1);
    return CacheVerdict.PASS;
  }

  private write(r: NbdCmd, op: number, fua: boolean): number {
    const c = this.blocks;
    const wb = this.wb;
    // WRITE carries data (a WRITE_ZEROES the server lacks is a WRITE of zeroes); the rest none.
    const data = r.type === NBD_CMD_WRITE ? this.host!.dataOf(r) : null;
    if (wb === null || op === REQ_OP.DISCARD || fua) {
      // Written through. In write-back mode it must not pass an older write-back of its range, nor
      // drop acknowledged dirty data of it before that reached the server (a read meanwhile, or
      // the write failing, would find neither): a write through dirty data waits for its write-back.
      if (wb !== null && c.writingIn(r.offset, r.length)) { this.hold(r, -1); return CacheVerdict.HELD; }
      if (wb !== null && op !== REQ_OP.DISCARD && c.unwrittenIn(r.offset, r.length) && !this.engine.bugs.has('cache-fua-drops-dirty')) { this.hold(r, -1); wb.want(wb.epoch); return CacheVerdict.HELD; }
      this.recent.note(r.offset, r.length);
      if (op === REQ_OP.DISCARD || wb !== null) c.invalidate(r.offset, r.length);
      if (op !== REQ_OP.DISCARD && !this.engine.bugs.has('cache-stale-read')) c.write(r.offset, r.length, data, 0, false, 0);
      this.role[r.rq!.tag] = ROLE_PASS;
      this.passBegin(r);
      return CacheVerdict.PASS;
    }
    if (!wb.hasRoom(r.length) || !c.write(r.offset, r.length, data, 0, true, wb.epoch)) {
      this.throttled++;
      this.hold(r, -1);
      wb.want(wb.epoch);
      return CacheVerdict.HELD;
    }
    this.recent.note(r.offset, r.length);
    this.absorbed++;
    this.absorbedBytes += r.length;
    this.completeAfter(r, r.length);
    wb.kick();
    return CacheVerdict.HELD;
  }

  /** Completes a request locally once the CPU has done the lookup and copy of `bytes`. */
  private completeAfter(r: NbdCmd, bytes: number): void {
    this.localReq[r.rq!.tag] = r;
    this.opts.cpu(cacheCostNs(Math.ceil(bytes / CACHE_BLOCK), bytes), this.local[r.rq!.tag]!);
  }

  private flush(r: NbdCmd): number {
    if (this.wb === null) return CacheVerdict.PASS;
    const e = this.wb.closeEpoch();
    // A write the cache still holds was issued before this FLUSH: the FLUSH waits until it has gone
    // to the server (then the driver's FlushBarrier waits for its reply), as for written-back data.
    const writesHeld = this.heldEpoch.includes(-1) && !this.engine.bugs.has('cache-flush-passes-held-write');
    if (this.engine.bugs.has('cache-flush-before-write-back') || (this.wb.cleanThrough(e) && !writesHeld)) return CacheVerdict.PASS;
    this.flushesHeld++;
    this.hold(r, e);
    this.wb.want(e);
    return CacheVerdict.HELD;
  }

  /** A request the cache saw is complete (reply, failure, or local). Runs before the block layer sees it. */
  done(r: NbdCmd, errno: number): void {
    const role = this.role[r.rq!.tag];
    if (role === ROLE_NONE || role === undefined) return;
    this.role[r.rq!.tag] = ROLE_NONE;
    const c = this.blocks;
    if (role === ROLE_HIT) { this.hitLatency.record(this.engine.now - r.tQueued); return; }
    if (role === ROLE_MISS) {
      if (!this.engine.bugs.has('cache-read-unpinned')) c.pin(r.offset, r.length, -1);
      if (errno !== 0) return;
      const dst = this.host!.dataOf(r)!;
      if (this.wb !== null) c.overlay(r.offset, r.length, dst, 0);
      if (!this.recent.since(this.seqAt[r.rq!.tag]!, r.offset, r.length)) c.fill(r.offset, r.length, dst, 0, false);
      return;
    }
    // ROLE_PASS: a write that went to the server; a failed one leaves the cache unsure of the range.
    if (errno !== 0) c.invalidate(r.offset, r.length);
    this.passEnd[r.rq!.tag] = -1;
    this.passActive--;
    if (this.wb !== null) { this.wb.kick(); this.retryHeld(); }
  }

  /** Reply (or failure) of one of the cache's own requests; `data` holds a READ's bytes. */
  internalDone(slot: number, errno: number, data: Uint8Array, offset: number, length: number): void {
    if (slot < WB_EXTENTS) {
      if (this.orphans & (1 << slot)) { this.orphans &= ~(1 << slot); this.wb?.release(slot); return; }
      // Data read before this write-back landed may be older than what the cache held.
      const x = this.wb!.extents[slot]!;
      this.recent.note(x.offset, x.length);
      this.wb!.done(slot, errno === 0);
      return;
    }
    if (slot < SLOT_FLUSH) { this.prefetch.done(slot - WB_EXTENTS, errno, data, offset, length); return; }
    if (slot === SLOT_FLUSH) this.mgmtFlushDone = errno === 0;
  }

  /**
   * nbd-cache-flush: writes every dirty byte back now, then sends an NBD FLUSH once they are
   * all acknowledged; answers the bytes it has to write back.
   */
  flushAll(): number {
    this.mgmtFlushes++;
    if (this.wb === null) return 0;
    const bytes = this.wb.dirtyBytes;
    this.mgmtFlushDone = false;
    this.mgmtFlushEpoch = this.wb.closeEpoch();
    this.wb.want(this.mgmtFlushEpoch);
    this.retryHeld();
    return bytes;
  }

  /** A connection was lost; its write-backs are requeued by the request path and go out again. */
  connectionLost(): void {
    if (this.wb !== null && this.engine.bugs.has('cache-drop-dirty-on-reconnect')) this.forgetDirty();
  }

  /** The client host crashed: the cache's memory is gone, dirty data with it; held writers fail. */
  crash(): void {
    if (!this.enabled) return;
    this.forgetDirty();
    const held = this.held.splice(0);
    this.heldEpoch.length = 0;
    for (const r of held) this.host!.completeLocal(r, EIO);
  }

  private forgetDirty(): void {
    for (let i = 0; i < WB_EXTENTS; i++) if (this.wb?.extents[i]!.busy) this.orphans |= 1 << i;
    this.blocks.dropAll();
    this.wb?.reset();
    this.recent.forget();
    this.mgmtFlushEpoch = -1;
  }

  private hold(r: NbdCmd, epoch: number): void {
    this.held.push(r);
    this.heldEpoch.push(epoch);
  }

  /** Write-back progressed: held FLUSHes whose data is written go on, held writes try again. */
  private retryHeld(): void {
    if (this.mgmtFlushEpoch >= 0 && this.wb!.cleanThrough(this.mgmtFlushEpoch)) {
      if (!this.host!.canFlush || this.host!.submitInternal(SLOT_FLUSH, NBD_CMD_FLUSH, 0, 0, 0, null)) this.mgmtFlushEpoch = -1;
    }
    for (let i = 0; i < this.held.length;) {
      const r = this.held[i]!;
      const e = this.heldEpoch[i]!;
      if (e >= 0) {
        if (!this.wb!.cleanThrough(e)) { i++; continue; }
        this.held.splice(i, 1); this.heldEpoch.splice(i, 1);
        // Written back: the FLUSH goes to the server, or completes if the server has no cache to flush.
        if (this.host!.canFlush) this.host!.dispatch(r); else this.host!.completeLocal(r, 0);
        continue;
      }
      this.held.splice(i, 1); this.heldEpoch.splice(i, 1);
      const before = this.held.length;
      if (this.admitAgain(r) === CacheVerdict.PASS) { this.host!.dispatch(r); continue; }
      // Still held: back to its place (hold() appended it) and stop, so the queue's order holds and
      // no FLUSH behind it goes first.
      if (this.held.length > before) {
        const at = this.engine.bugs.has('cache-flush-passes-held-write') ? this.held.length - 1 : i;
        this.held.splice(at, 0, this.held.pop()!); this.heldEpoch.splice(at, 0, this.heldEpoch.pop()!);
        break;
      }
    }
  }

  private admitAgain(r: NbdCmd): number {
    const rq = r.rq!;
    return this.write(r, rq.op, (rq.flags & REQ_FUA) !== 0);
  }

  /**
   * Sequence number a read sent now compares against when its data comes back. A write on the
   * wire to its range may be served after it: then the data is never stored (a number so old
   * that RecentWrites answers "maybe").
   */
  private fillSeq(offset: number, length: number): number {
    return this.passOverlaps(offset, length) ? -Number.MAX_SAFE_INTEGER : this.recent.seq;
  }

  private passBegin(r: NbdCmd): void {
    this.passOff[r.rq!.tag] = r.offset;
    this.passEnd[r.rq!.tag] = r.offset + r.length;
    this.passActive++;
  }

  private passOverlaps(offset: number, length: number): boolean {
    if (this.passActive === 0) return false;
    const end = offset + length;
    for (let t = 0; t < this.passEnd.length; t++) if (this.passEnd[t]! > offset && this.passOff[t]! < end) return true;
    return false;
  }
}
