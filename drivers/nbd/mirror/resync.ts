/**
 * Background resynchronisation of a mirror replica that returned: region by region (oldest dirt
 * first), READ it from an in-sync replica, WRITE it to the returning one, then clear its bit —
 * unless a write to that region started or ended meanwhile (the region's generation moved: the
 * copy may be stale, so the bit stays and the region is copied again later). A region with a
 * write in flight waits. When no bit is left the replica gets a FLUSH, and rejoins once it is
 * answered with the bitmap still empty. One copy at a time, paced to `rateBps`.
 */
import type { Engine, EventHandle } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_WRITE } from '../protocol/uapi.ts';
import { RqState } from '../request.ts';
import { MirrorCmd } from './mirror-cmd.ts';
import type { Mirror } from './mirror.ts';
import type { Replica } from './replica.ts';

/** How long to wait before trying again when nothing can be copied now (busy regions, no source). */
const RETRY_NS = 200_000;

export class Resync {
  /** The one resync command (READ, then WRITE of the same buffer, or the final FLUSH). */
  readonly cmd: MirrorCmd;
  private readonly buf: Uint8Array;
  private timer: EventHandle | null = null;
  private target: Replica | null = null;
  private region = -1;
  private gen0 = 0;
  private startedAt = 0;
  private picks = 0;
  private readonly skipBug: boolean;
  /** Bytes copied by every resync; regions found dirty again mid-copy. */
  bytes = 0;
  restarts = 0;
  exportBytes = 0;

  constructor(
    private readonly engine: Engine,
    private readonly mirror: Mirror,
    private readonly send: (cmd: MirrorCmd, slot: ConnectionSlot) => void,
    tag: number,
    readonly rateBps: number,
  ) {
    this.cmd = new MirrorCmd(tag);
    this.cmd.kind = 'resync';
    this.buf = new Uint8Array(mirror.regionBytes);
    this.skipBug = engine.bugs.has('resync-skips-dirty-region');
  }

  get active(): boolean {
    return this.target !== null;
  }

  /** Something changed (a replica came back, a copy ended): start a copy if one can run now. */
  kick(): void {
    if (this.target !== null || this.timer !== null || this.cmd.state !== RqState.FREE) return;
    for (const r of this.mirror.replicas) {
      if (!r || r.state === 'in-sync') continue;
      if (r.state === 'out-of-sync' && this.mirror.usable(r.server)) {
        r.state = 'resyncing';
        r.resyncTotal = r.dirty.size;
        this.engine.trace.emit('nbd.mirror', 'mirror.resync.start', { server: r.server, regions: r.dirty.size });
      }
      if (r.state === 'resyncing') { this.step(r); return; }
    }
  }

  private later(ns: number): void {
    this.timer = this.engine.schedule(Math.max(1, Math.round(ns)), () => { this.timer = null; this.kick(); }, 'nbd.mirror.resync');
  }

  private step(r: Replica): void {
    if (!this.mirror.usable(r.server)) { this.mirror.dropOut(r, 'lost while resyncing', 0, 0); return; }
    const target = this.mirror.connFor(r.server);
    if (r.dirty.size === 0) {
      if (!target) { this.later(RETRY_NS); return; }
      this.target = r;
      this.region = -1;
      this.issue(NBD_CMD_FLUSH, 0, 0, target);
      return;
    }
    let g = -1;
    for (const x of r.dirty) if (!this.mirror.busy.has(x)) { g = x; break; }
    const source = this.source();
    if (g < 0 || !source || !target) { this.later(RETRY_NS); return; }
    if (this.skipBug && this.picks++ % 4 === 1) {
      // Injected resync-skips-dirty-region: the bit is cleared, nothing is copied.
      r.dirty.delete(g);
      this.later(0);
      return;
    }
    this.target = r;
    this.region = g;
    this.gen0 = this.mirror.gen.get(g) ?? 0;
    this.startedAt = this.engine.now;
    const off = g * this.mirror.regionBytes;
    this.issue(NBD_CMD_READ, off, Math.min(this.mirror.regionBytes, this.exportBytes - off), source);
  }

  /** An in-sync replica's connection with room, round robin over the replicas. */
  private source(): ConnectionSlot | null {
    for (const r of this.mirror.replicas) {
      if (!r || !this.mirror.readable(r.server)) continue;
      const c = this.mirror.connFor(r.server);
      if (c) return c;
    }
    return null;
  }

  private issue(type: number, offset: number, length: number, slot: ConnectionSlot): void {
    const c = this.cmd;
    c.type = type; c.flags = 0; c.offset = offset; c.length = length;
    c.data = type === NBD_CMD_FLUSH ? null : this.buf.subarray(0, length);
    c.replica = this.target!.server;
    c.sends = 0; c.conn = -1; c.retries = 0; c.error = 0; c.epoch = -1; c.postFlush = false;
    c.tQueued = this.engine.now;
    c.state = RqState.QUEUED;
    this.send(c, slot);
  }

  /** The resync command's reply (or its loss: `lost`). */
  replied(errno: number, lost: boolean): void {
    const c = this.cmd;
    const r = this.target!;
    c.state = RqState.FREE;
    const type = c.type;
    if (lost || errno !== 0 || r.state !== 'resyncing') {
      if (!lost && errno !== 0 && type !== NBD_CMD_READ) r.lastReason = `resync ${type === NBD_CMD_FLUSH ? 'flush' : 'write'} failed with error ${errno}`;
      this.end(RETRY_NS);
      return;
    }
    if (type === NBD_CMD_FLUSH) {
      if (r.dirty.size === 0) this.mirror.rejoin(r);
      this.end(0);
      return;
    }
    if ((this.mirror.gen.get(this.region) ?? 0) !== this.gen0) { this.restarts++; this.end(0); return; }
    if (type === NBD_CMD_READ) {
      const to = this.mirror.connFor(r.server);
      if (!to) { this.end(RETRY_NS); return; }
      this.issue(NBD_CMD_WRITE, c.offset, c.length, to);
      return;
    }
    r.dirty.delete(this.region);
    // Copied but not yet flushed there: a crash before the final FLUSH makes it dirty again.
    r.unflushed.set(this.region, 0);
    r.resyncedBytes += c.length;
    r.resyncedRegions++;
    this.bytes += c.length;
    // Pace: a region of L bytes may start L / rate after the previous one did.
    this.end(this.startedAt + (c.length * 1e9) / this.rateBps - this.engine.now);
  }

  /** A connection died: the copy on it is lost (tried again later). */
  connectionLost(slot: ConnectionSlot): void {
    if (this.cmd.state === RqState.SENT && this.cmd.conn === slot.index) this.replied(0, true);
  }

  private end(waitNs: number): void {
    this.target = null;
    this.region = -1;
    if (waitNs > 0) this.later(waitNs);
    else this.kick();
  }
}
