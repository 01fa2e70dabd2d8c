import { blkMqKick } from '../../kernel/block/api.ts';
import type { HwQueue } from '../../kernel/block/hw-queue.ts';
import { type Request } from '../../kernel/block/request.ts';
import { BLK_EH, type TimeoutAction } from '../../kernel/block/types.ts';
import { EIO } from '../../kernel/lib/errno.ts';
import { NBD_CMD_FLUSH } from './protocol/uapi.ts';
import type { ConnectionSlot } from './managers/connection-slot.ts';
import { cmdOf, NbdCmd, RqState } from './request.ts';
import { IoPathState } from './io-path-state.ts';

/**
 * Waiting and batching (io-path.ts has the whole picture): requests no connection can take now
 * wait here in order; pump() sends them as connections come back; dead_conn_timeout and the
 * block layer's timeout decide when waiting ends in failure.
 */
export abstract class IoPathQueue extends IoPathState {
  /** Set when queueRq answered BUSY: kick the block layer once a connection has room. */
  protected busy = false;
  /** blkMqKick calls after BUSY (back-pressure released). */
  kicks = 0;
  protected hctx: HwQueue | null = null;
  /**
   * Sockets corked in the current batch, [0, corkedN), uncorked when it ends. A count, not
   * `length = 0`: emptying an array that way frees its storage, regrown on every batch.
   */
  protected readonly corked: (ConnectionSlot | null)[] = [];
  protected corkedN = 0;
  /** blk-mq is handing a batch: a queue_rq came with `last` false and commit_rqs has not come yet. */
  protected batchOpen = false;
  /** Depth of driver calls that may send (they uncork only when the outermost ends). */
  protected sending = 0;
  /** pump() is sending several waiting requests: a batch of the driver's own. */
  protected pumping = false;
  protected endBatch(): void {
    if (this.sending > 0 || this.batchOpen) return;
    const list = this.corked;
    for (let i = 0; i < this.corkedN; i++) {
      this.net.uncork(list[i]!);
      list[i] = null;
    }
    this.corkedN = 0;
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
    const waited = this.waiting.length > 0;
    const outer = !this.pumping;
    if (outer) this.pumping = this.waiting.length > 1;
    for (let i = 0; i < this.waiting.length;) {
      const r = this.waiting[i]!;
      if (r.type === NBD_CMD_FLUSH && !this.barrier.ready(r.epoch)) { i++; continue; }
      const c = this.lb.pick(this.conns, r.rq ? r.rq.tag : this.tagBase + r.cacheSlot, this.engine.now, r);
      if (c < 0) break;
      this.waiting.splice(i, 1);
      this.send(r, this.conns[c]!);
    }
    // Nothing waited and the clock is not armed: it would only note a loss that the next wait
    // notes anyway (a deadline counts from the later of the loss and the wait's start). Every
    // completion pumps: the connection scan was a tenth of a completion's driver work.
    if (waited || this.waiting.length > 0 || this.deadConn.armed) this.connectivity();
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
  protected deadConnRunOut(): void {
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

  protected expire(r: NbdCmd): void {
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
  protected anyUsable(): boolean {
    for (let i = 0; i < this.conns.length; i++) { const c = this.conns[i]!; if (c.usable && this.lb.allowed(c)) return true; }
    return false;
  }

  protected anyRoom(): boolean {
    for (let i = 0; i < this.conns.length; i++) {
      const c = this.conns[i]!;
      if (c.canSend && this.lb.allowed(c)) return true;
    }
    return false;
  }

  /** Puts a request on a connection (io-path.ts). */
  protected abstract send(r: NbdCmd, slot: ConnectionSlot): void;
}
