import type { Engine } from '../../hw-sim/engine/index.ts';
import { blkMqComplete } from '../../kernel/block/api.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import { rqCopyIn } from '../../kernel/block/request.ts';
import { REQ_OP } from '../../kernel/block/types.ts';
import { EIO } from '../../kernel/lib/errno.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from './protocol/uapi.ts';
import { DeadConnClock } from './dead-conn.ts';
import { FlushBarrier } from './flush-barrier.ts';
import type { CacheHost, CacheManager } from './managers/cache-manager.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import type { ErrorHandler } from './managers/error-handler.ts';
import type { LoadBalancer } from './managers/load-balancer.ts';
import type { NetworkManager } from './managers/network-manager.ts';
import type { PerformanceMonitor } from './managers/performance-monitor.ts';
import type { ExportCaps } from './command-map.ts';
import { NbdCmd, RqState } from './request.ts';
import type { MirrorPort } from './mirror/index.ts';
import { traceShape, traceSource, type TraceSource } from '../../hw-sim/engine/trace.ts';

const TRACE_DONE = traceShape('rq.done', ['id', 'tag', 'errno', 'lat']);

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

/** Whether an operation on an export is allowed: 0, or the errno to fail it with. */
export interface ExportAccess {
  check(exportName: string, op: number, serverReadOnly: boolean): number;
}

const OPEN_ACCESS: ExportAccess = { check: () => 0 };
const NO_WATCHDOG = { arm(): void {} };

/**
 * The request path, as blk-mq ops: queue_rq → cache → connection choice → encode → send; replies
 * complete requests by their PDU; a dead connection's requests are requeued on a live one (whose
 * session has its own cookie generation, so a late reply to the old send can never complete them
 * twice). Per-request state is the request's PDU (NbdCmd); no allocation per request.
 */

/**
 * The request path's state (io-path.ts has the whole picture): the PDUs, the FLUSH barrier,
 * the waiting list and the completion of a request, and the cache's own commands (CacheHost).
 */
export abstract class IoPathState implements ExportCaps, CacheHost {
  /** Every PDU, one per preallocated blk-mq request (made by initRequest). */
  readonly cmds: NbdCmd[] = [];
  /** Commands the driver holds (not FREE). */
  inflight = 0;
  readonly barrier: FlushBarrier;
  /**
   * Measurement hook (the runner's submission stage): a command is about to be put on a
   * connection's socket (before its bytes are queued). Null: nothing is called.
   */
  onSubmit: ((r: NbdCmd, slot: ConnectionSlot) => void) | null = null;
  /** Commands accepted but not on any connection (no live one, or FLUSH waiting), oldest first. */
  protected readonly waiting: NbdCmd[] = [];
  protected readonly deadConn: DeadConnClock;
  protected readonly deadConnFromQueueTime: boolean;
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
  protected readonly cacheCmds: NbdCmd[] = [];
  protected readonly tagBase: number;
  /**
   * Access control per export (the device's SecurityManager). This and the watchdog are objects
   * whose methods the request path calls, not closures: optimised code inlining a per-device
   * closure embeds it and is thrown away (deopt "weak objects") when the device's world dies.
   */
  access: ExportAccess = OPEN_ACCESS;
  /** A draining connection has nothing in flight any more. */
  connIdle: (slot: ConnectionSlot) => void = () => {};
  /** The silence watchdog is armed (see watchdog). */
  watching = false;
  /** The silence watchdog, armed by the first request on an idle connection; set by the device (it owns the connections). */
  watchdog: { arm(): void } = NO_WATCHDOG;
  /** A mirror device's replication (drivers/nbd/mirror): writes and FLUSHes fan out to every in-sync replica. */
  mirror: MirrorPort | null = null;
  /** The health probes (drivers/nbd/health/probe.ts): their replies go back to the prober. */
  probes: { owns(r: NbdCmd): boolean; replied(r: NbdCmd, errno: number): void } | null = null;

  /** This emitter as the source of its shaped trace records. */
  protected readonly traceSrc: TraceSource;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: IoPathOptions,
    protected readonly lb: LoadBalancer,
    protected readonly net: NetworkManager,
    protected readonly cache: CacheManager,
    protected readonly perf: PerformanceMonitor,
    protected readonly errors: ErrorHandler,
  ) {
    // Injected bug flush-barrier-off: every FLUSH goes at once, ahead of the writes before it.
    this.barrier = new FlushBarrier(1024, engine.bugs.has('flush-barrier-off'));
    this.tagBase = opts.tags;
    this.traceSrc = traceSource(opts.src);
    for (let i = 0; i < cache.internalTags; i++) this.cacheCmds.push(new NbdCmd(null, i));
    cache.bind(this);
    this.deadConn = new DeadConnClock(engine, opts.deadConnTimeoutNs, () => this.deadConnRunOut());
    this.deadConnFromQueueTime = engine.bugs.has('dead-conn-from-queue-time');
  }

  get waitingCount(): number {
    return this.waiting.length;
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
  protected finish(r: NbdCmd, errno: number, server: number): void {
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
    // Answered by a server: the performance monitor and the balancer's latency estimate hear of
    // it, by plain calls (once per request; a Subject's subscriber chain cost more than both).
    if (server >= 0) {
      // REQ_OP values are the PerformanceMonitor's op classes (read, write, flush, trim, write-zeroes).
      this.perf.record(rq.op, r.conn, server, now - r.tQueued, rq.op === REQ_OP.FLUSH ? 0 : rq.bytes, now);
      this.lb.observe(r.conn, now - r.tSent);
    }
    if (errno !== 0) this.perf.errors++;
    else if (this.failover?.pending) this.failover.flowing(now);
    this.completed++;
    if (this.engine.trace.enabled) TRACE_DONE.emit(this.engine.trace, this.traceSrc, rq.id, rq.tag, errno, now - r.tQueued);
    if (errno === 0 && r.bounced && rq.op === REQ_OP.READ) rqCopyIn(rq, r.bounce!);
    this.release(r);
    blkMqComplete(rq, errno);
    this.pump();
  }

  protected release(r: NbdCmd): void {
    if (r.state === RqState.FREE) return;
    r.state = RqState.FREE;
    this.inflight--;
  }

  protected unclaim(r: NbdCmd): void {
    if (isWrite(r.type) && r.epoch >= 0) this.barrier.writeDone(r.epoch);
    this.cache.done(r, EIO); // not sent: the cache forgets what it expected of it
    this.release(r);
  }

  protected park(r: NbdCmd): void {
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
  protected wait(r: NbdCmd): void {
    r.tWait = this.deadConnFromQueueTime ? r.tQueued : this.engine.now;
    this.waiting.push(r);
    if (this.waiting.length === 1) this.connectivity();
  }

  /** Sends what waits, oldest first, while connections take it (io-path-queue.ts). */
  abstract pump(): void;
  /** A connection's phase changed or the waiting list did (io-path-queue.ts). */
  abstract connectivity(): void;
  protected abstract deadConnRunOut(): void;
}

/** Commands that change the export's data (ordered before a later FLUSH). */
export function isWrite(cmd: number): boolean {
  return cmd === NBD_CMD_WRITE || cmd === NBD_CMD_WRITE_ZEROES || cmd === NBD_CMD_TRIM;
}
