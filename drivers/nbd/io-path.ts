import { Subject } from 'rxjs';
import type { Engine } from '../../hw-sim/engine/index.ts';
import { blkMqComplete, blkMqKick } from '../../kernel/block/api.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { HwQueue } from '../../kernel/block/hw-queue.ts';
import { rqCopyIn, rqCopyOut, type Request } from '../../kernel/block/request.ts';
import { BLK_EH, BLK_STS, REQ_OP, type BlkStatus, type TimeoutAction } from '../../kernel/block/types.ts';
import { EIO, errnoOf, ESHUTDOWN } from '../../kernel/lib/errno.ts';
import { NBD_CMD_FLAG_FUA, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from './protocol/uapi.ts';
import { DeadConnClock } from './dead-conn.ts';
import { FlushBarrier } from './flush-barrier.ts';
import { CacheVerdict, type CacheHost, type CacheManager } from './managers/cache-manager.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import type { ErrorHandler } from './managers/error-handler.ts';
import type { LoadBalancer } from './managers/load-balancer.ts';
import type { NetworkManager } from './managers/network-manager.ts';
import type { PerformanceMonitor } from './managers/performance-monitor.ts';
import { mapCommand, type ExportCaps } from './command-map.ts';
import { cmdOf, NbdCmd, RqState } from './request.ts';
import type { MirrorPort } from './mirror/index.ts';


export interface IoPathOptions {
  src: string;
  /** blk-mq's tags; the cache's own commands use the ones after. */
  tags: number;
  maxIo: number;
  deadConnTimeoutNs: number;
  /** Injected bug drop-acked-write: answer true to acknowledge a write without sending it. */
  dropWrite?: (offset: number, length: number) => boolean;
}

/** What a connection's transmission session reports about replies and its own state. */
export interface ReplySink {
  /** The reply of a command is complete (READ data already in place); `error` is the NBD error (0 = success). */
  done(c: NbdCmd, error: number): void;
  /** Stream is broken (bad magic, unknown cookie, ...): hard disconnect per the spec. */
  fatal(reason: string): void;
  /** Server said ESHUTDOWN: finish in-flight, send nothing new (soft disconnect). */
  shutdown(): void;
}

/**
 * The request path, as blk-mq ops: queue_rq → cache → connection choice → encode → send; replies
 * complete requests by their PDU; a dead connection's requests are requeued on a live one (whose
 * session has its own cookie generation, so a late reply to the old send can never complete them
 * twice). Per-request state is the request's PDU (NbdCmd); no allocation per request.
 */
export class IoPath implements ExportCaps, CacheHost {
  /**
   * Every request a server answered, as its PDU (valid during the call: no allocation per
   * request). The device wires it to the performance monitor and the balancer's latency estimate.
   */
  readonly completions$ = new Subject<NbdCmd>();
  /** Every PDU, one per preallocated blk-mq request (made by initRequest). */
  readonly cmds: NbdCmd[] = [];
  /** Commands the driver holds (not FREE). */
  inflight = 0;
  readonly barrier = new FlushBarrier();
  /**
   * Measurement hook (the runner's submission stage): a command is about to be put on a
   * connection's socket (before its bytes are queued). Null: nothing is called.
   */
  onSubmit: ((r: NbdCmd, slot: ConnectionSlot) => void) | null = null;
  /** Commands accepted but not on any connection (no live one, or FLUSH waiting), oldest first. */
  private readonly waiting: NbdCmd[] = [];
  private readonly deadConn: DeadConnClock;
  private readonly deadConnFromQueueTime: boolean;
  /** Set when queueRq answered BUSY: kick the block layer once a connection has room. */
  private busy = false;
  /** blkMqKick calls after BUSY (back-pressure released). */
  kicks = 0;
  /** Writes acknowledged by the drop-acked-write bug without being sent. */
  dropped = 0;
  private hctx: HwQueue | null = null;
  /** Sockets corked in the current batch, uncorked when it ends. */
  private readonly corked: ConnectionSlot[] = [];
  /** blk-mq is handing a batch: a queue_rq came with `last` false and commit_rqs has not come yet. */
  private batchOpen = false;
  /** Depth of driver calls that may send (they uncork only when the outermost ends). */
  private sending = 0;
  /** pump() is sending several waiting requests: a batch of the driver's own. */
  private pumping = false;
  disk: GenDisk | null = null;
  conns: readonly ConnectionSlot[] = [];
  /** Device accepts I/O (ready or degraded or still connecting). */
  accepting = false;
  completed = 0;
  /** Times outages (drivers/nbd/health/failover.ts): told of the first success after one. */
  failover: { readonly pending: boolean; flowing(now: number): void } | null = null;
  /** Per-device flags of the negotiated export. */
  canFlush = false; canFua = false; canTrim = false; canWriteZeroes = false; canCache = false; readOnly = false;
  exportName = '';
  exportBytes = 0;
  /** The cache's own commands, by slot; their tags follow blk-mq's (`tagBase + slot`). */
  private readonly cacheCmds: NbdCmd[] = [];
  private readonly tagBase: number;
  permission: (exportName: string, op: number, serverReadOnly: boolean) => number = () => 0;
  /** A draining connection has nothing in flight any more. */
  connIdle: (slot: ConnectionSlot) => void = () => {};
  /** The silence watchdog is armed (see watch). */
  watching = false;
  /** Arms the silence watchdog; set by the device (it owns the connections). */
  watch: () => void = () => {};
  /** A mirror device's replication (drivers/nbd/mirror): writes and FLUSHes fan out to every in-sync replica. */
  mirror: MirrorPort | null = null;
  /** The health probes (drivers/nbd/health/probe.ts): their replies go back to the prober. */
  probes: { owns(r: NbdCmd): boolean; replied(r: NbdCmd, errno: number): void } | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly opts: IoPathOptions,
    private readonly lb: LoadBalancer,
    private readonly net: NetworkManager,
    private readonly cache: CacheManager,
    private readonly perf: PerformanceMonitor,
    private readonly errors: ErrorHandler,
  ) {
    this.tagBase = opts.tags;
    for (let i = 0; i < cache.internalTags; i++) this.cacheCmds.push(new NbdCmd(null, i));
    cache.bind(this);
    this.deadConn = new DeadConnClock(engine, opts.deadConnTimeoutNs, () => this.deadConnRunOut());
    this.deadConnFromQueueTime = engine.bugs.has('dead-conn-from-queue-time');
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** blk_mq_ops.init_request: the request's PDU. */
  initRequest(rq: Request): void {
    const c = new NbdCmd(rq);
    rq.pdu = c;
    this.cmds.push(c);
  }

  /**
   * blk_mq_ops.queue_rq. While blk-mq hands a batch (`last` false) the sockets used stay corked,
   * so the batch leaves in full segments; `last` or commit_rqs releases them.
   */
  queueRq(hctx: HwQueue, rq: Request, last: boolean): BlkStatus {
    this.sending++;
    const sts = this.queueOne(hctx, rq);
    this.sending--;
    // After a refusal blk-mq ends the batch with commit_rqs if it had sent any with `last` false.
    if (sts === BLK_STS.OK) this.batchOpen = !last;
    this.endBatch();
    return sts;
  }

  /** blk_mq_ops.commit_rqs: the batch ended on a request sent with `last` false. */
  commitRqs(): void {
    this.batchOpen = false;
    this.endBatch();
  }

  private endBatch(): void {
    if (this.sending > 0 || this.batchOpen) return;
    const list = this.corked;
    for (let i = 0; i < list.length; i++) this.net.uncork(list[i]!);
    list.length = 0;
  }

  private queueOne(hctx: HwQueue, rq: Request): BlkStatus {
    this.hctx = hctx;
    if (!this.accepting) return BLK_STS.ERROR;
    const length = rq.op === REQ_OP.FLUSH ? 0 : rq.bytes;
    if (length > this.opts.maxIo) return BLK_STS.ERROR;
    if (this.opts.dropWrite && rq.op === REQ_OP.WRITE && this.opts.dropWrite(rq.offset, length)) {
      this.dropped++;
      this.engine.trace.emit(this.opts.src, 'fault.drop-acked-write', { offset: rq.offset, length });
      blkMqComplete(rq, 0);
      return BLK_STS.OK;
    }
    const now = this.engine.now;
    const r = this.claim(rq, length, now);
    const denied = this.permission(this.exportName, rq.op, this.readOnly);
    if (denied !== 0) {
      this.errors.fault('permission', -1, -1, denied, `${rq.op === REQ_OP.WRITE ? 'write' : 'modification'} on read-only export '${this.exportName}'`, rq.tag, r);
      return BLK_STS.OK;
    }
    if (!mapCommand(r, this, this.opts.maxIo)) {
      // Nothing to send, but a FLUSH still waits for the write-back of what it covers.
      if (rq.op !== REQ_OP.FLUSH || this.cache.admit(r) === CacheVerdict.PASS) this.finish(r, 0, -1);
      return BLK_STS.OK;
    }
    if (this.cache.admit(r) !== CacheVerdict.PASS) return BLK_STS.OK;
    if (isWrite(r.type)) r.epoch = this.barrier.writeStarted();
    else if (r.type === NBD_CMD_FLUSH) {
      r.epoch = this.barrier.flushArrived();
      if (!this.barrier.ready(r.epoch)) {
        // A coverage mark (sweep --require-mark flush-barrier-wait): the FLUSH waits for earlier writes.
        if (this.engine.trace.enabled) this.engine.trace.emit(this.opts.src, 'flush.wait', { tag: rq.tag, epoch: r.epoch });
        this.park(r);
        return BLK_STS.OK;
      }
    }
    if (this.waiting.length > 0) { this.park(r); this.pump(); return BLK_STS.OK; }
    const c = this.lb.pick(this.conns, rq.tag, now);
    if (c < 0) {
      if (this.anyUsable()) {
        this.unclaim(r);
        this.busy = true;
        return BLK_STS.BUSY;
      }
      this.park(r);
      return BLK_STS.OK;
    }
    this.send(r, this.conns[c]!);
    return BLK_STS.OK;
  }

  /**
   * Takes the PDU of a request for a new use. Data goes straight from and to the bio's buffer
   * when the request is one bio; merged bios go through the PDU's bounce buffer.
   */
  private claim(rq: Request, length: number, now: number): NbdCmd {
    const c = cmdOf(rq);
    if (c.state !== RqState.FREE) throw new Error(`${this.opts.src}: request tag ${rq.tag} is already in flight (cookie ${c.cookie})`);
    c.state = RqState.QUEUED;
    c.offset = rq.offset;
    c.length = length;
    c.sends = 0;
    c.conn = -1;
    c.retries = 0;
    c.error = 0;
    c.epoch = -1;
    c.tQueued = now;
    c.tSent = 0;
    c.tReplied = 0;
    c.bounced = false;
    c.data = null;
    this.inflight++;
    if (rq.op === REQ_OP.READ || rq.op === REQ_OP.WRITE) {
      const b0 = rq.nrBios === 1 ? rq.bios[0] : null;
      if (b0 && b0.data && b0.data.length === length) c.data = b0.data;
      else {
        c.bounced = true;
        const b = (c.bounce ??= new Uint8Array(this.opts.maxIo));
        c.data = b.length === length ? b : b.subarray(0, length);
        if (rq.op === REQ_OP.WRITE) rqCopyOut(rq, b);
      }
    }
    return c;
  }

  private send(r: NbdCmd, slot: ConnectionSlot): void {
    if (this.mirror !== null && this.mirror.takes(r)) { this.mirror.fanOut(r, this.tagOf(r)); return; }
    this.sendOn(r, slot);
  }

  /** The wire tag of a request, of a cache command, or of a mirror command. */
  private tagOf(r: NbdCmd): number {
    if (r.rq) return r.rq.tag;
    return r.cacheSlot >= 0 ? this.tagBase + r.cacheSlot : (r as NbdCmd & { wireTag: number }).wireTag;
  }

  /** Puts a command on this connection (the mirror sends its legs and copies through here). */
  sendOn(r: NbdCmd, slot: ConnectionSlot): void {
    // Corked only for a batch: a lone request's header and payload leave together anyway
    // (MSG_MORE), and a corked socket sends the full segments of a payload before the rest.
    if (!slot.corked && (this.batchOpen || this.pumping)) {
      this.net.cork(slot);
      this.corked.push(slot);
    }
    this.sending++;
    this.submit(r, slot);
    this.sending--;
    this.endBatch();
  }

  private submit(r: NbdCmd, slot: ConnectionSlot): void {
    r.state = RqState.SENT;
    r.conn = slot.index;
    r.tSent = this.engine.now;
    r.sends++;
    r.generation = slot.generation;
    const tag = this.tagOf(r);
    r.cookie = slot.generation * 0x1_0000_0000 + tag;
    if (slot.outstanding === 0) { slot.lastRxAt = r.tSent; if (!this.watching) this.watch(); }
    slot.outstanding++;
    slot.requestsSent++;
    if (this.engine.trace.enabled) {
      const id = r.rq ? r.rq.id : -1;
      this.engine.trace.emit(this.opts.src, 'rq.send', { id, tag, gen: slot.generation, cmd: r.type, off: r.offset, len: r.length, conn: slot.index, sends: r.sends });
      // Trace context: the request's bytes and its cookie at the server name the request.
      const sock = slot.socket;
      this.net.fileRequest(slot, r.cookie, id);
      if (id >= 0 && sock?.flow !== undefined) this.engine.trace.requestIds.set(`${sock.flow}#${r.cookie}`, id);
    }
    r.tag = tag;
    if (this.engine.bugs.has('fua-dropped')) r.flags &= ~NBD_CMD_FLAG_FUA; // injected: FUA never reaches the wire
    if (this.onSubmit !== null) this.onSubmit(r, slot);
    const bad = slot.transmission!.submit(r);
    if (bad !== null) {
      slot.outstanding--;
      const errno = errnoOf(bad.errno);
      if (this.mirror !== null && this.mirror.owns(r)) { this.mirror.replied(r, errno, slot); return; } // the mirror drops that replica
      if (this.probes !== null && this.probes.owns(r)) { this.probes.replied(r, errno); return; }
      this.errors.fault('nbd-errno', slot.index, slot.server, errno, `request not sendable on this export: ${bad.reason}`, tag, r);
    }
  }

  /** Reply sink of one connection (made once per transmission session, not per request). */
  replySink(slot: ConnectionSlot, onFatal: (reason: string) => void, onShutdown: () => void): ReplySink {
    return {
      done: (r, errno) => {
        if (r.state !== RqState.SENT || r.conn !== slot.index) { onFatal(`reply for tag ${r.tag} not in flight on conn${slot.index}`); return; }
        slot.outstanding--;
        slot.repliesReceived++;
        if (slot.outstanding === 0 && slot.phase === 'draining') this.connIdle(slot);
        if (this.mirror !== null && this.mirror.owns(r)) { this.mirror.replied(r, errno, slot); return; }
        if (this.probes !== null && this.probes.owns(r)) { this.probes.replied(r, errno); return; }
        if (errno !== 0 && errno !== ESHUTDOWN && isWrite(r.type) && this.engine.bugs.has('write-error-swallowed')) errno = 0; // injected
        // The error handler decides: ESHUTDOWN goes elsewhere, anything else fails the request.
        if (errno !== 0) { this.errors.fault('nbd-errno', slot.index, slot.server, errno, `server error ${errno}`, r.tag, r); return; }
        if (r.postFlush && slot.usable) { this.flushAfterWrite(r, slot); return; }
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
  private flushAfterWrite(r: NbdCmd, slot: ConnectionSlot): void {
    if (r.epoch >= 0) this.barrier.writeDone(r.epoch);
    r.epoch = -1;
    r.postFlush = false;
    r.type = NBD_CMD_FLUSH;
    r.flags = 0;
    r.offset = 0;
    r.length = 0;
    this.send(r, slot);
  }

  // ---- CacheHost: the cache's held requests and its own commands ----------------------------

  /** A request the cache held goes on: behind the FLUSH barrier, to a connection. */
  dispatch(r: NbdCmd): void {
    if (isWrite(r.type)) r.epoch = this.barrier.writeStarted();
    else if (r.type === NBD_CMD_FLUSH) r.epoch = this.barrier.flushArrived();
    this.park(r);
    this.pump();
  }

  completeLocal(r: NbdCmd, errno: number): void {
    this.finish(r, errno, -1);
  }

  submitInternal(slot: number, cmd: number, flags: number, offset: number, length: number, data: Uint8Array | null): boolean {
    const r = this.cacheCmds[slot];
    if (!this.accepting || r === undefined || r.state !== RqState.FREE) return false;
    r.state = RqState.QUEUED;
    r.type = cmd; r.flags = flags; r.offset = offset; r.length = length; r.postFlush = false;
    r.data = cmd === NBD_CMD_READ ? (r.bounce ??= new Uint8Array(this.opts.maxIo)).subarray(0, length) : data;
    r.sends = 0; r.conn = -1; r.retries = 0; r.error = 0; r.epoch = -1;
    r.tQueued = this.engine.now; r.tSent = 0; r.tReplied = 0;
    this.inflight++;
    this.dispatch(r);
    return true;
  }

  /**
   * Client crash: the cache's own commands die with the host (after killAll requeued them): a
   * write-back resent after the reboot could land over newer data.
   */
  dropCacheCmds(): void {
    for (const r of this.cacheCmds) {
      if (r.state === RqState.FREE) continue;
      const i = this.waiting.indexOf(r);
      if (i >= 0) this.waiting.splice(i, 1);
      this.finish(r, EIO, -1);
    }
  }

  dataOf(r: NbdCmd): Uint8Array | null {
    return r.data;
  }

  /** The error handler decided the request fails with `errno` (server: the one that answered, or -1). */
  fail(r: NbdCmd, errno: number, server: number): void {
    this.finish(r, errno, server);
  }

  /** A mirrored request's legs are all resolved (drivers/nbd/mirror). */
  completeMirrored(r: NbdCmd, errno: number, server: number): void {
    this.finish(r, errno, server);
  }

  /** Completes a request toward the block layer (the cache, for its own) and frees its PDU. */
  private finish(r: NbdCmd, errno: number, server: number): void {
    const now = this.engine.now;
    r.tReplied = now;
    if (isWrite(r.type) && r.epoch >= 0) this.barrier.writeDone(r.epoch);
    const rq = r.rq;
    if (rq === null) {
      this.release(r);
      if (this.engine.trace.enabled) this.engine.trace.emit(this.opts.src, 'cache.done', { slot: r.cacheSlot, cmd: r.type, errno });
      this.cache.internalDone(r.cacheSlot, errno, r.data ?? r.bounce!, r.offset, r.length);
      this.pump();
      return;
    }
    this.cache.done(r, errno);
    r.server = server;
    // Answered by a server: the performance monitor and the balancer's latency estimate hear of it.
    if (server >= 0) this.completions$.next(r);
    if (errno !== 0) this.perf.errors++;
    else if (this.failover?.pending) this.failover.flowing(now);
    this.completed++;
    if (this.engine.trace.enabled) this.engine.trace.emit(this.opts.src, 'rq.done', { id: rq.id, tag: rq.tag, errno, lat: now - r.tQueued });
    if (errno === 0 && r.bounced && rq.op === REQ_OP.READ) rqCopyIn(rq, r.bounce!);
    this.release(r);
    blkMqComplete(rq, errno);
    this.pump();
  }

  private release(r: NbdCmd): void {
    if (r.state === RqState.FREE) return;
    r.state = RqState.FREE;
    this.inflight--;
  }

  private unclaim(r: NbdCmd): void {
    if (isWrite(r.type) && r.epoch >= 0) this.barrier.writeDone(r.epoch);
    this.cache.done(r, EIO); // not sent: the cache forgets what it expected of it
    this.release(r);
  }

  private park(r: NbdCmd): void {
    r.state = r.state === RqState.SENT ? RqState.REQUEUED : r.state;
    this.wait(r);
  }

  /** Sends a request again later, on whichever connection is live then. */
  requeue(r: NbdCmd): void {
    r.retries++;
    r.state = RqState.REQUEUED;
    r.conn = -1;
    this.wait(r);
    if (this.engine.bugs.has('double-requeue') && this.waiting.at(-1) === r) this.waiting.push(r); // injected: requeued twice
  }

  /** Onto the waiting list (oldest first: a requeue waits anew). */
  private wait(r: NbdCmd): void {
    r.tWait = this.deadConnFromQueueTime ? r.tQueued : this.engine.now;
    this.waiting.push(r);
    if (this.waiting.length === 1) this.connectivity();
  }

  /** Everything in flight on a connection that died goes back to the waiting list, in tag order. */
  requeueConnection(slot: ConnectionSlot, reason: string): void {
    for (let i = 0; i < this.cmds.length + this.cacheCmds.length; i++) {
      const r = i < this.cmds.length ? this.cmds[i]! : this.cacheCmds[i - this.cmds.length]!;
      if (r.state !== RqState.SENT || r.conn !== slot.index) continue;
      if (this.engine.bugs.has('lost-requeue')) continue; // injected: forgets what was in flight
      // The error handler decides: requeue within the request's budget, else fail it.
      this.errors.fault('transport', slot.index, slot.server, EIO, `in flight on a lost connection: ${reason}`, r.tag, r);
    }
    slot.outstanding = 0;
  }

  /**
   * Sends what waits, oldest first, while connections take it. A FLUSH stays until the writes it
   * covers have been replied to; requests behind it may pass it (it covers only earlier writes).
   */
  pump(): void {
    this.sending++;
    const outer = !this.pumping;
    if (outer) this.pumping = this.waiting.length > 1;
    for (let i = 0; i < this.waiting.length;) {
      const r = this.waiting[i]!;
      if (r.type === NBD_CMD_FLUSH && !this.barrier.ready(r.epoch)) { i++; continue; }
      const c = this.lb.pick(this.conns, r.rq ? r.rq.tag : this.tagBase + r.cacheSlot, this.engine.now);
      if (c < 0) break;
      this.waiting.splice(i, 1);
      this.send(r, this.conns[c]!);
    }
    this.connectivity();
    if (this.mirror !== null) this.mirror.pump();
    if (outer) this.pumping = false;
    this.sending--;
    this.endBatch();
    if (this.busy && this.anyRoom() && this.hctx) { this.busy = false; this.kicks++; blkMqKick(this.hctx); }
  }

  /** blk_mq_ops.timeout: a sent request's connection is declared dead and it goes elsewhere; a waiting one may expire. */
  timeout(rq: Request): TimeoutAction {
    const r = cmdOf(rq);
    if (r.state === RqState.FREE) return BLK_EH.DONE;
    if (r.state === RqState.SENT && this.engine.bugs.has('timeout-success')) { this.finish(r, 0, -1); return BLK_EH.DONE; } // injected
    if (r.state === RqState.SENT && r.conn < 0) return BLK_EH.RESET_TIMER; // mirrored: its legs are watched per connection
    if (r.state === RqState.SENT) {
      this.errors.fault('timeout', r.conn, this.conns[r.conn]?.server ?? -1, 0, `request tag ${r.tag} timed out`, r.tag, r);
      return BLK_EH.RESET_TIMER;
    }
    if (this.deadConn.expired(r.tWait)) { this.expire(r); return BLK_EH.DONE; }
    return BLK_EH.RESET_TIMER;
  }

  /** dead_conn_timeout ran out with no usable connection: the requests that waited it out fail. */
  private deadConnRunOut(): void {
    if (this.anyUsable()) { this.pump(); return; }
    for (let i = 0; i < this.waiting.length;) {
      const r = this.waiting[i]!;
      if (this.deadConn.expired(r.tWait)) this.expire(r);
      else i++;
    }
    this.connectivity();
  }

  /** A connection's phase changed or the waiting list did: the dead_conn_timeout clock follows. */
  connectivity(): void {
    this.deadConn.update(this.anyUsable(), this.waiting.length > 0 ? this.waiting[0]!.tWait : -1);
  }

  private expire(r: NbdCmd): void {
    const i = this.waiting.indexOf(r);
    if (i >= 0) this.waiting.splice(i, 1);
    this.errors.fault('dead-conn', -1, -1, EIO, `no usable connection for dead_conn_timeout`, r.tag, r);
  }

  /** Fails everything (device failed or torn down). */
  failAll(errno: number): void {
    this.waiting.length = 0;
    for (let i = 0; i < this.cmds.length + this.cacheCmds.length; i++) {
      const r = i < this.cmds.length ? this.cmds[i]! : this.cacheCmds[i - this.cmds.length]!;
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
      if (c.canSend && this.lb.allowed(c)) return true;
    }
    return false;
  }
}

function isWrite(cmd: number): boolean {
  return cmd === NBD_CMD_WRITE || cmd === NBD_CMD_WRITE_ZEROES || cmd === NBD_CMD_TRIM;
}
