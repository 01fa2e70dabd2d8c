import type { Engine, EventHandle } from '../../hw-sim/engine/index.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from './protocol/uapi.ts';
import { FlushBarrier } from './flush-barrier.ts';
import type { CacheManager } from './managers/cache-manager.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import type { ErrorHandler } from './managers/error-handler.ts';
import type { LoadBalancer } from './managers/load-balancer.ts';
import type { NetworkManager } from './managers/network-manager.ts';
import type { PerformanceMonitor } from './managers/performance-monitor.ts';
import { BlkOp, Errno, QueueRqResult, TimeoutVerdict, type BlkRequest, type BlockDisk, type ReplySink } from './index-types.ts';
import { mapCommand, type ExportCaps } from './command-map.ts';
import { NbdRequest, RequestTable, RqState } from './request.ts';


export interface IoPathOptions {
  src: string;
  tags: number;
  maxIo: number;
  /** Bytes of backlog beyond which a connection takes no new request. */
  backlogLimit: number;
  deadConnTimeoutNs: number;
}

/**
 * The request path: queueRq → cache → connection choice → encode → batch send; replies complete
 * requests by tag; a dead connection's requests are requeued on a live one (whose session has
 * its own cookie generation, so a late reply to the old send can never complete them twice).
 * Plain records and counters only: no actor, no machine event, no allocation per request.
 */
export class IoPath implements ExportCaps {
  readonly table: RequestTable;
  readonly barrier = new FlushBarrier();
  /** Requests accepted but not on any connection (no live one, or FLUSH waiting), FIFO of tags. */
  private readonly waiting: NbdRequest[] = [];
  private deadConnTimer: EventHandle | null = null;
  /** Set when queueRq answered BUSY: kick the block layer once a connection has room. */
  private busy = false;
  conns: readonly ConnectionSlot[] = [];
  /** Device accepts I/O (ready or degraded or still connecting). */
  accepting = false;
  completed = 0;
  /** Per-device flags of the negotiated export. */
  canFlush = false; canFua = false; canTrim = false; canWriteZeroes = false; canCache = false; readOnly = false;
  exportName = '';
  permission: (exportName: string, op: BlkOp, serverReadOnly: boolean) => number = () => 0;
  /** A draining connection has nothing in flight any more. */
  connIdle: (slot: ConnectionSlot) => void = () => {};
  /** The silence watchdog is armed (see watch). */
  watching = false;
  /** Arms the silence watchdog; set by the device (it owns the connections). */
  watch: () => void = () => {};

  constructor(
    private readonly engine: Engine,
    private readonly opts: IoPathOptions,
    private readonly disk: BlockDisk,
    private readonly lb: LoadBalancer,
    private readonly net: NetworkManager,
    private readonly cache: CacheManager,
    private readonly perf: PerformanceMonitor,
    private readonly errors: ErrorHandler,
  ) {
    this.table = new RequestTable(opts.tags, opts.maxIo);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** blk_mq_ops.queue_rq. */
  queueRq(blk: BlkRequest): QueueRqResult {
    if (!this.accepting) return QueueRqResult.ERROR;
    if (blk.length > this.opts.maxIo) return QueueRqResult.ERROR;
    const now = this.engine.now;
    const r = this.table.claim(blk, now);
    const denied = this.permission(this.exportName, blk.op, this.readOnly);
    if (denied !== 0) {
      this.errors.report('permission', 'fail-request', -1, -1, denied, `${blk.op === BlkOp.WRITE ? 'write' : 'modification'} on read-only export '${this.exportName}'`, r.tag);
      this.finish(r, denied, -1);
      return QueueRqResult.OK;
    }
    if (!mapCommand(r, blk, this)) {
      this.finish(r, 0, -1);
      return QueueRqResult.OK;
    }
    if (r.cmd === NBD_CMD_READ && this.cache.tryRead(r)) {
      this.finish(r, 0, -1);
      return QueueRqResult.OK;
    }
    if (isWrite(r.cmd)) r.epoch = this.barrier.writeStarted();
    else if (r.cmd === NBD_CMD_FLUSH) {
      r.epoch = this.barrier.flushArrived();
      if (!this.barrier.ready(r.epoch)) { this.park(r); return QueueRqResult.OK; }
    }
    if (this.waiting.length > 0) { this.park(r); this.pump(); return QueueRqResult.OK; }
    const c = this.lb.pick(this.conns, r.tag, now, this.opts.backlogLimit);
    if (c < 0) {
      if (this.anyUsable()) {
        this.unclaim(r);
        this.busy = true;
        return QueueRqResult.BUSY;
      }
      this.park(r);
      return QueueRqResult.OK;
    }
    this.send(r, this.conns[c]!);
    return QueueRqResult.OK;
  }

  private send(r: NbdRequest, slot: ConnectionSlot): void {
    r.state = RqState.SENT;
    r.conn = slot.index;
    r.tSent = this.engine.now;
    r.sends++;
    r.generation = slot.generation;
    r.cookie = slot.generation * 0x1_0000_0000 + r.tag;
    if (slot.outstanding === 0) { slot.lastRxAt = r.tSent; if (!this.watching) this.watch(); }
    slot.outstanding++;
    slot.requestsSent++;
    this.net.countRequest(slot);
    if (this.engine.trace.enabled) this.engine.trace.emit(this.opts.src, 'rq.send', { tag: r.tag, cmd: r.cmd, off: r.offset, len: r.length, conn: slot.index, sends: r.sends });
    const refused = slot.transmission!.submit(r.tag, r.cmd, r.cmdFlags, r.offset, r.length, this.dataOf(r));
    if (refused !== 0) {
      slot.outstanding--;
      this.errors.report('nbd-errno', 'fail-request', slot.index, slot.server, refused, `request not sendable on this export`, r.tag);
      this.finish(r, refused, slot.server);
    }
  }

  /** Data area of a request: the block layer's buffer, or the tag's slab slot (emulated zeroes, no buffer). */
  private dataOf(r: NbdRequest): Uint8Array | null {
    if (r.cmd !== NBD_CMD_READ && r.cmd !== NBD_CMD_WRITE) return null;
    const d = r.blk!.data;
    return d !== null && r.blk!.op !== BlkOp.WRITE_ZEROES ? d : r.payload;
  }

  /** Reply sink of one connection (made once per transmission session, not per request). */
  replySink(slot: ConnectionSlot, onFatal: (reason: string) => void, onShutdown: () => void): ReplySink {
    return {
      done: (tag, errno) => {
        const r = this.table.records[tag];
        if (r === undefined || r.state !== RqState.SENT || r.conn !== slot.index) { onFatal(`reply for tag ${tag} not in flight on conn${slot.index}`); return; }
        slot.outstanding--;
        slot.repliesReceived++;
        if (slot.outstanding === 0 && slot.phase === 'draining') this.connIdle(slot);
        if (errno !== 0 && this.errors.retryableReply(errno) && this.errors.mayRequeue(r.retries)) {
          this.errors.report('nbd-errno', 'requeue', slot.index, slot.server, errno, 'server shutting down', tag);
          this.requeue(r);
          return;
        }
        if (errno !== 0) this.errors.report('nbd-errno', 'fail-request', slot.index, slot.server, errno, `server error ${errno}`, tag);
        if (r.cmd === NBD_CMD_READ && errno === 0) this.cache.fill(r);
        if (errno === 0 && r.postFlush && slot.usable) { this.flushAfterWrite(r, slot); return; }
        this.finish(r, errno, slot.server);
      },
      fatal: onFatal,
      shutdown: onShutdown,
    };
  }

  /**
   * FUA asked for but not advertised: the write is acknowledged only after a FLUSH that covers it
   * (sent once the write's reply is in, so the server's FLUSH includes it).
   */
  private flushAfterWrite(r: NbdRequest, slot: ConnectionSlot): void {
    if (r.epoch >= 0) this.barrier.writeDone(r.epoch);
    r.epoch = -1;
    r.postFlush = false;
    r.cmd = NBD_CMD_FLUSH;
    r.cmdFlags = 0;
    r.offset = 0;
    r.length = 0;
    this.send(r, slot);
  }

  /** Completes a request toward the block layer and frees its record. */
  private finish(r: NbdRequest, errno: number, server: number): void {
    const now = this.engine.now;
    r.tReplied = now;
    if (isWrite(r.cmd) && r.epoch >= 0) this.barrier.writeDone(r.epoch);
    const blk = r.blk!;
    if (server >= 0) {
      // BlkOp values are the PerformanceMonitor's op classes (read, write, flush, trim, write-zeroes, cache).
      this.perf.record(blk.op, r.conn, server, now - r.tQueued, blk.length, now);
      this.lb.observe(r.conn, now - r.tSent);
    }
    if (errno !== 0) this.perf.errors++;
    this.completed++;
    if (this.engine.trace.enabled) this.engine.trace.emit(this.opts.src, 'rq.done', { tag: r.tag, errno, lat: now - r.tQueued });
    this.table.release(r);
    this.disk.complete(blk, errno);
    this.pump();
  }

  private unclaim(r: NbdRequest): void {
    if (isWrite(r.cmd) && r.epoch >= 0) this.barrier.writeDone(r.epoch);
    this.table.release(r);
  }

  private park(r: NbdRequest): void {
    r.state = r.state === RqState.SENT ? RqState.REQUEUED : r.state;
    this.waiting.push(r);
    this.armDeadConnTimer();
  }

  /** Sends a request again later, on whichever connection is live then. */
  requeue(r: NbdRequest): void {
    r.retries++;
    r.state = RqState.REQUEUED;
    r.conn = -1;
    this.waiting.push(r);
    this.armDeadConnTimer();
  }

  /** Everything in flight on a connection that died goes back to the waiting list, in tag order. */
  requeueConnection(slot: ConnectionSlot, reason: string): void {
    const recs = this.table.records;
    let n = 0;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      if (r.state !== RqState.SENT || r.conn !== slot.index) continue;
      n++;
      if (this.errors.mayRequeue(r.retries)) this.requeue(r);
      else {
        this.errors.report('transport', 'fail-request', slot.index, slot.server, Errno.EIO, `requeued too often: ${reason}`, r.tag);
        this.finish(r, Errno.EIO, slot.server);
      }
    }
    slot.outstanding = 0;
    if (n > 0) this.errors.report('transport', 'requeue', slot.index, slot.server, 0, `${n} in-flight request(s) of a lost connection: ${reason}`);
  }

  /**
   * Sends what waits, oldest first, while connections take it. A FLUSH stays until the writes it
   * covers have been replied to; requests behind it may pass it (it covers only earlier writes).
   */
  pump(): void {
    for (let i = 0; i < this.waiting.length;) {
      const r = this.waiting[i]!;
      if (r.cmd === NBD_CMD_FLUSH && !this.barrier.ready(r.epoch)) { i++; continue; }
      const c = this.lb.pick(this.conns, r.tag, this.engine.now, this.opts.backlogLimit);
      if (c < 0) break;
      this.waiting.splice(i, 1);
      this.send(r, this.conns[c]!);
    }
    if (this.waiting.length === 0) { this.engine.cancel(this.deadConnTimer); this.deadConnTimer = null; }
    if (this.busy && this.anyRoom()) { this.busy = false; this.disk.kick(); }
  }

  /** blk_mq_ops.timeout: a sent request's connection is declared dead and it goes elsewhere; a waiting one may expire. */
  timeout(blk: BlkRequest, killConnection: (conn: number, reason: string) => void): TimeoutVerdict {
    const r = this.table.records[blk.tag];
    if (r === undefined || r.blk !== blk) return TimeoutVerdict.DONE;
    if (r.state === RqState.SENT) {
      this.errors.report('timeout', 'reconnect', r.conn, this.conns[r.conn]?.server ?? -1, 0, `request tag ${r.tag} timed out`, r.tag);
      killConnection(r.conn, `request tag ${r.tag} timed out`);
      return TimeoutVerdict.RESET_TIMER;
    }
    if (this.engine.now - r.tQueued >= this.opts.deadConnTimeoutNs) { this.expire(r); return TimeoutVerdict.DONE; }
    return TimeoutVerdict.RESET_TIMER;
  }

  /** Fails every request of the waiting list that has waited dead_conn_timeout with no live connection. */
  private checkDeadConn(): void {
    this.deadConnTimer = null;
    if (this.anyUsable()) { this.pump(); return; }
    const now = this.engine.now;
    for (let i = 0; i < this.waiting.length;) {
      const r = this.waiting[i]!;
      if (now - r.tQueued >= this.opts.deadConnTimeoutNs) { this.waiting.splice(i, 1); this.expire(r); } else i++;
    }
    this.armDeadConnTimer();
  }

  private expire(r: NbdRequest): void {
    const i = this.waiting.indexOf(r);
    if (i >= 0) this.waiting.splice(i, 1);
    this.errors.report('dead-conn', 'fail-request', -1, -1, Errno.EIO, `no live connection for dead_conn_timeout`, r.tag);
    this.finish(r, Errno.EIO, -1);
  }

  private armDeadConnTimer(): void {
    if (this.deadConnTimer !== null || this.waiting.length === 0 || this.anyUsable()) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of this.waiting) if (r.tQueued < oldest) oldest = r.tQueued;
    const at = Math.max(this.engine.now, oldest + this.opts.deadConnTimeoutNs);
    this.deadConnTimer = this.engine.scheduleAt(at, () => this.checkDeadConn(), 'nbd.dead_conn_timeout');
  }

  /** Fails everything (device failed or torn down). */
  failAll(errno: number): void {
    const recs = this.table.records;
    this.waiting.length = 0;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      if (r.state !== RqState.FREE) this.finish(r, errno, -1);
    }
  }

  /** A connection the load balancer may use is in transmission. */
  private anyUsable(): boolean {
    for (let i = 0; i < this.conns.length; i++) { const c = this.conns[i]!; if (c.usable && this.lb.allowed(c)) return true; }
    return false;
  }

  private anyRoom(): boolean {
    for (let i = 0; i < this.conns.length; i++) {
      const c = this.conns[i]!;
      if (c.usable && this.lb.allowed(c) && c.backlog <= this.opts.backlogLimit) return true;
    }
    return false;
  }
}

function isWrite(cmd: number): boolean {
  return cmd === NBD_CMD_WRITE || cmd === NBD_CMD_WRITE_ZEROES || cmd === NBD_CMD_TRIM;
}
