import { blkMqComplete } from '../../kernel/block/api.ts';
import type { HwQueue } from '../../kernel/block/hw-queue.ts';
import { rqCopyOut, type Request } from '../../kernel/block/request.ts';
import { BLK_STS, REQ_OP, type BlkStatus } from '../../kernel/block/types.ts';
import { EIO, errnoOf, ESHUTDOWN } from '../../kernel/lib/errno.ts';
import { NBD_CMD_FLAG_FUA, NBD_CMD_FLUSH } from './protocol/uapi.ts';
import { CacheVerdict } from './managers/cache-manager.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import { mapCommand } from './command-map.ts';
import { cmdOf, NbdCmd, RqState } from './request.ts';
import { isWrite, type ReplySink } from './io-path-state.ts';
import { IoPathQueue } from './io-path-queue.ts';
import { traceShape } from '../../hw-sim/engine/trace.ts';

const TRACE_SEND = traceShape('rq.send', ['id', 'tag', 'gen', 'cmd', 'off', 'len', 'conn', 'sends']);

export type { IoPathOptions, ReplySink } from './io-path-state.ts';

/** The driver's own CPU work per request (hw-sim/cpu/costs.ts nbdQueueRqNs, nbdReplyNs) and where it is charged. */
export interface DriverCpu {
  readonly queueRqNs: number;
  readonly replyNs: number;
  /** Charges queue_rq's work to the core running the driver now (the submitter's). */
  charge(ns: number): void;
  /** Charges a reply's work to the core of the connection's receive worker (nbd's recv_work runs on an unbound workqueue). */
  chargeReply(ns: number): void;
}

/**
 * The request path, as blk-mq ops: queue_rq → cache → connection choice → encode → send; replies
 * complete requests by their PDU; a dead connection's requests are requeued on a live one (whose
 * session has its own cookie generation, so a late reply to the old send can never complete them
 * twice). Per-request state is the request's PDU (NbdCmd); no allocation per request.
 * State and completion: io-path-state.ts; waiting, pump and timeouts: io-path-queue.ts.
 */
export class IoPath extends IoPathQueue {
  /** Writes acknowledged by the drop-acked-write bug without being sent. */
  dropped = 0;
  /** CPU cost of queue_rq and of a reply (none: not charged, e.g. cpu_cost_scale = 0). */
  cpu: DriverCpu | null = null;

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

  private queueOne(hctx: HwQueue, rq: Request): BlkStatus {
    this.hctx = hctx;
    if (this.cpu !== null) this.cpu.charge(this.cpu.queueRqNs);
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
    const denied = this.access.check(this.exportName, rq.op, this.readOnly);
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
    const c = this.lb.pick(this.conns, rq.tag, now, r);
    if (c < 0) {
      if (this.anyUsable()) {
        // Refused, not taken (TCP: every socket full; UDP: no session can send it now): unclaim gives
        // back its barrier count, so a FLUSH taken later covers it only if taken before it again.
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

  protected send(r: NbdCmd, slot: ConnectionSlot): void {
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
      this.corked[this.corkedN++] = slot;
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
    if (slot.outstanding === 0) { slot.lastRxAt = r.tSent; if (!this.watching) this.watchdog.arm(); }
    slot.outstanding++;
    slot.requestsSent++;
    if (this.engine.trace.enabled) {
      const id = r.rq ? r.rq.id : -1;
      TRACE_SEND.emit(this.engine.trace, this.traceSrc, id, tag, slot.generation, r.type, r.offset, r.length, slot.index, r.sends);
      // Trace context: the request's bytes and its cookie at the server name the request.
      const sock = slot.socket;
      this.net.fileRequest(slot, r.cookie, id);
      if (id >= 0 && sock !== null) {
        if (slot.traceSocket !== sock) {
          slot.traceSocket = sock;
          slot.traceIds = sock.flow === undefined ? null : this.engine.trace.requestIdsOf(sock.flow);
        }
        slot.traceIds?.file(r.cookie, id);
      }
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
        if (this.cpu !== null) this.cpu.chargeReply(this.cpu.replyNs);
        slot.outstanding--;
        slot.repliesReceived++;
        if (slot.outstanding === 0 && slot.phase === 'draining') this.connIdle(slot);
        // Mirror legs and health probes are commands of their own (no blk-mq request): a PDU is
        // neither, and needs no class test (an instanceof walk per reply).
        if (r.rq === null) {
          if (this.mirror !== null && this.mirror.owns(r)) { this.mirror.replied(r, errno, slot); return; }
          if (this.probes !== null && this.probes.owns(r)) { this.probes.replied(r, errno); return; }
        }
        if (errno !== 0 && errno !== ESHUTDOWN && isWrite(r.type) && this.engine.bugs.has('write-error-swallowed')) errno = 0; // injected
        if (errno !== 0 && errno !== ESHUTDOWN && this.engine.bugs.has('server-error-as-eio')) errno = EIO; // injected
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
}
