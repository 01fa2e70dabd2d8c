/**
 * Client-side mirror (an export with mode = "mirror"): every server holds its own copy. A WRITE,
 * TRIM or WRITE_ZEROES goes to every in-sync replica as a leg with the parent's tag, and the
 * parent completes when each of them acknowledged it; a FLUSH goes to all of them; READs are
 * balanced over in-sync replicas only (the load balancer's gate asks `readable`).
 *
 * A replica that cannot take its leg (no connection left or coming, an error reply) drops out of
 * sync, unless it is the last in-sync one (then it is the device's data: its legs wait, as a
 * single server's requests would). What it missed is its dirty bitmap: the regions of the writes
 * it did not get, plus the regions it acknowledged since its last completed FLUSH (its host's
 * crash may have lost them). The bitmap lives with the device, so it survives a client crash
 * (as md's write-intent bitmap does on disk). When the replica is reachable again the resync
 * (resync.ts) copies its dirty regions from an in-sync replica and it rejoins.
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import { EIO } from '../../../kernel/lib/errno.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import { NBD_CMD_FLAG_FUA, NBD_CMD_FLUSH, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from '../protocol/uapi.ts';
import { RqState, type NbdCmd } from '../request.ts';
import { MirrorCmd } from './mirror-cmd.ts';
import { Replica, regionsOf } from './replica.ts';
import { WriteGate } from './write-gate.ts';

/** What the mirror needs from the request path and the device. */
export interface MirrorHost {
  readonly conns: readonly ConnectionSlot[];
  /** Puts a command on a connection (corked with the batch), as the request path sends its own. */
  sendOn(cmd: NbdCmd, slot: ConnectionSlot): void;
  /** A parent's legs are all resolved: complete it toward the block layer. */
  complete(parent: NbdCmd, errno: number, server: number): void;
  /** Whether server `s` is still attached (not removed by nbd-server-remove). */
  present(s: number): boolean;
}

/** One fan-out, by parent tag. */
interface Fan {
  parent: NbdCmd | null;
  serial: number;
  pending: number;
  acked: number;
  errno: number;
  lastConn: number;
  lastServer: number;
  write: boolean;
}

/** Phases a connection that may soon carry a leg can be in. */
const COMING = new Set(['connect', 'handshake', 'transmission']);

export class Mirror {
  readonly replicas: Replica[] = [];
  private readonly fans: Fan[] = [];
  private readonly pool: MirrorCmd[] = [];
  /** Legs sent and not replied to, or waiting for a connection with room. */
  private readonly live = new Set<MirrorCmd>();
  private readonly waiting: MirrorCmd[] = [];
  /** Write order, resync fences, writes in flight per region. */
  readonly gate: WriteGate;
  /** Connections (by index) that reached transmission and have not been lost since. */
  readonly sessions = new Set<number>();
  private serial = 0;
  /** Orders dirty markings (Replica.dirtiedAt). */
  private stamp = 0;
  private ackSeq = 0;
  private readonly oneReplicaBug: boolean;
  private readonly forgetsUnflushed: boolean;
  private readonly durabilityOff: boolean;
  private rr = 0;
  private pumping = false;
  private again = false;
  /** Counters for nbd-server-info / stats. */
  fanouts = 0;
  legsSent = 0;
  legsRequeued = 0;
  /** Called when a replica may need a resync (it became reachable, or dropped out). */
  onChange: () => void = () => {};

  constructor(private readonly engine: Engine, private readonly src: string, readonly regionBytes: number, readonly host: MirrorHost) {
    this.oneReplicaBug = engine.bugs.has('mirror-completes-after-one-replica');
    this.forgetsUnflushed = engine.bugs.has('mirror-forgets-unflushed');
    this.gate = new WriteGate(regionBytes, (p, tag) => this.fanOutNow(p, tag), () => this.onChange(), engine.bugs.has('mirror-overlapping-writes-unordered'));
    this.durabilityOff = engine.bugs.has('mirror-degraded-not-durable');
  }

  addReplica(server: number, exportBytes: number): void {
    const r = new Replica(server);
    // A replica added at run time holds nothing the device wrote: all of it is dirty (stamp 0: it never held any of it).
    if (exportBytes > 0 && this.replicas.some((x) => x.state === 'in-sync')) {
      r.markDirty(0, exportBytes, this.regionBytes, 0);
      this.dropOut(r, 'added at run time', 0, 0);
    }
    this.replicas[server] = r;
  }

  /** READs (and the balancer, and the resync as a source) may use this server: its replica holds every acknowledged write. */
  readable(server: number): boolean {
    return this.replicas[server]?.state === 'in-sync' && this.host.present(server);
  }

  /** Replica `r` holds every acknowledged write to region `g` (its bitmap does not name it). */
  holds(r: Replica, g: number): boolean {
    return this.host.present(r.server) && (r.state === 'in-sync' || !r.dirty.has(g));
  }

  holdsRange(r: Replica, offset: number, length: number): boolean {
    const [a, b] = regionsOf(offset, length, this.regionBytes);
    for (let g = a; g <= b; g++) if (!this.holds(r, g)) return false;
    return true;
  }

  /** Why removing `server` would lose data ('' if it would not): it is the last in-sync replica. */
  removalRefused(server: number): string {
    if (!this.readable(server) || this.inSync > 1) return '';
    const behind = this.replicas.filter((r) => r && r.server !== server && this.host.present(r.server)).length;
    return behind === 0 ? '' : 'it is the mirror\'s last in-sync replica: the others have not caught up (resync them first)';
  }

  /** The request path's question before sending: does this command fan out? */
  takes(r: NbdCmd): boolean {
    if (r instanceof MirrorCmd) return false;
    return r.type === NBD_CMD_WRITE || r.type === NBD_CMD_TRIM || r.type === NBD_CMD_WRITE_ZEROES || r.type === NBD_CMD_FLUSH;
  }

  owns(r: NbdCmd): r is MirrorCmd {
    return r instanceof MirrorCmd;
  }

  get inSync(): number {
    let n = 0;
    for (const r of this.replicas) if (r && r.state === 'in-sync' && this.host.present(r.server)) n++;
    return n;
  }

  /**
   * Redundancy is reduced (some attached replica is behind): the next failure may leave one copy
   * of a write, so writes go FUA and what the in-sync replicas hold unflushed is flushed
   * (Resync.kick) — a replica that drops out then leaves nothing only it had in a volatile cache.
   */
  get degraded(): boolean {
    if (this.durabilityOff) return false;
    return this.replicas.some((r) => r && r.state !== 'in-sync' && this.host.present(r.server));
  }

  /** Acknowledgements counted so far (a FLUSH sent now covers those up to this number). */
  get acks(): number {
    return this.ackSeq;
  }

  /** Every attached replica is in sync (no resync left to do). */
  get allInSync(): boolean {
    return this.replicas.every((r) => !r || r.state === 'in-sync' || !this.host.present(r.server));
  }

  /** Sends `parent` to every in-sync replica; it is on no connection itself (conn -1) until its legs resolve. */
  fanOut(parent: NbdCmd, tag: number): void {
    parent.state = RqState.SENT;
    parent.conn = -1;
    parent.tSent = this.engine.now;
    parent.sends++;
    if (parent.type !== NBD_CMD_FLUSH && !this.gate.admit(parent, tag)) return;
    this.fanOutNow(parent, tag);
  }

  private fanOutNow(parent: NbdCmd, tag: number): void {
    const write = parent.type !== NBD_CMD_FLUSH;
    const fan = (this.fans[tag] ??= { parent: null, serial: 0, pending: 0, acked: 0, errno: 0, lastConn: -1, lastServer: -1, write });
    fan.parent = parent; fan.serial = ++this.serial; fan.pending = 0; fan.acked = 0; fan.errno = 0; fan.write = write;
    fan.lastConn = -1; fan.lastServer = -1;
    this.fanouts++;
    if (write) this.gate.started(parent);
    // A resyncing replica gets new writes too (so its bitmap only shrinks); only in-sync ones count for completion.
    const targets = this.replicas.filter((r) => r && r.state !== 'out-of-sync' && this.host.present(r.server));
    // Injected mirror-completes-after-one-replica: one replica (in turn) gets the write, the others never do.
    const chosen = this.oneReplicaBug && write && targets.length > 1 ? [targets[this.rr++ % targets.length]!] : targets;
    for (const r of this.replicas) {
      if (!r || !this.host.present(r.server) || chosen.includes(r)) continue;
      if (write && (r.state === 'out-of-sync')) r.markDirty(parent.offset, parent.length, this.regionBytes, ++this.stamp);
    }
    for (const r of chosen) {
      const leg = this.leg(tag, fan.serial, r.server, parent);
      fan.pending++;
      this.waiting.push(leg);
    }
    if (fan.pending === 0) { this.resolve(fan); return; }
    this.pump();
  }

  /** Sends waiting legs whose replica has a connection with room; drops replicas that cannot come back soon. */
  pump(): void {
    // Completing a parent re-enters through the request path's pump: run the loop once more instead.
    if (this.pumping) { this.again = true; return; }
    this.pumping = true;
    do {
      this.again = false;
      this.pumpOnce();
    } while (this.again);
    this.pumping = false;
  }

  private pumpOnce(): void {
    for (let i = 0; i < this.waiting.length;) {
      const leg = this.waiting[i]!;
      const fan = this.fans[leg.parentTag];
      if (!fan || fan.serial !== leg.serial) { this.waiting.splice(i, 1); this.free(leg); continue; }
      const r = this.replicas[leg.replica]!;
      if (r.state === 'out-of-sync' || !this.host.present(r.server)) {
        this.waiting.splice(i, 1);
        if (leg.type !== NBD_CMD_FLUSH) r.markDirty(leg.offset, leg.length, this.regionBytes, ++this.stamp);
        this.legResolved(leg, false, 0);
        continue;
      }
      const slot = this.connFor(r.server, leg);
      if (slot) {
        this.waiting.splice(i, 1);
        this.send(leg, slot);
        continue;
      }
      if (!this.comingBack(r.server) && (r.state === 'resyncing' || this.inSync > 1)) {
        this.dropOut(r, 'no connection left', 0, 0);
        continue; // the loop finds this leg again and resolves it
      }
      i++;
    }
  }

  /** A reply to a mirror command (the request path checked it was in flight on `slot`). */
  replied(c: MirrorCmd, errno: number, slot: ConnectionSlot): void {
    this.live.delete(c);
    c.state = RqState.FREE;
    const r = this.replicas[c.replica];
    // A write that reached a replica already out of sync stays dirty there (it may be unflushed).
    if (r && r.state === 'out-of-sync' && c.type !== NBD_CMD_FLUSH) r.markDirty(c.offset, c.length, this.regionBytes, ++this.stamp);
    if (errno === 0 && r) {
      if (c.type === NBD_CMD_FLUSH) for (const [g, s] of r.unflushed) { if (s <= c.seq) r.unflushed.delete(g); }
      else if ((c.flags & NBD_CMD_FLAG_FUA) === 0) {
        const seq = ++this.ackSeq;
        const [a, b] = regionsOf(c.offset, c.length, this.regionBytes);
        for (let g = a; g <= b; g++) r.unflushed.set(g, seq);
        // Sent before the mirror was degraded: the durability flush covers it (Resync.kick).
        if (this.degraded) this.onChange();
      }
    }
    if (errno !== 0 && r && (r.state === 'resyncing' || (r.state === 'in-sync' && this.inSync > 1))) this.dropOut(r, `error ${errno} on a mirrored write`, c.offset, c.length);
    this.legResolved(c, errno === 0, errno, slot);
  }

  /** A connection died: its legs go to another connection of their replica, or their replica drops out. */
  connectionLost(slot: ConnectionSlot): void {
    for (const c of this.live) {
      if (c.kind !== 'leg' || c.state !== RqState.SENT || c.conn !== slot.index) continue;
      this.live.delete(c);
      c.state = RqState.REQUEUED;
      c.conn = -1;
      this.legsRequeued++;
      this.waiting.push(c);
    }
  }

  /**
   * Connections changed: an in-sync replica with no connection up or coming drops out (while
   * another is in sync), so what its host may have lost is dirty before it can serve again.
   */
  connectivity(): void {
    for (const r of this.replicas) {
      if (!r || r.state !== 'in-sync' || !this.host.present(r.server)) continue;
      if (!this.comingBack(r.server) && this.inSync > 1) this.dropOut(r, 'no connection left', 0, 0);
    }
  }

  /** The replica missed writes: out of sync, its unflushed regions (and [offset, +length)) dirty. */
  dropOut(r: Replica, reason: string, offset: number, length: number): void {
    if (length > 0) r.markDirty(offset, length, this.regionBytes, ++this.stamp);
    // Injected mirror-forgets-unflushed: what it acknowledged but had not flushed is taken as safe.
    if (!this.forgetsUnflushed) for (const g of r.unflushed.keys()) r.mark(g, ++this.stamp, true);
    // Its writes in flight or waiting may land or not.
    for (const c of this.live) if (c.replica === r.server && c.type !== NBD_CMD_FLUSH) r.markDirty(c.offset, c.length, this.regionBytes, ++this.stamp);
    for (const c of this.waiting) if (c.replica === r.server && c.type !== NBD_CMD_FLUSH) r.markDirty(c.offset, c.length, this.regionBytes, ++this.stamp);
    r.unflushed.clear();
    if (r.state === 'in-sync') {
      r.dropouts++;
      r.lastReason = reason;
      this.engine.trace.emit(this.src, 'mirror.dropout', { server: r.server, reason, dirty: r.dirty.size, suspect: r.suspect.size });
    }
    r.state = 'out-of-sync';
    this.onChange();
  }

  /** The resync copied every dirty region and flushed them: the replica takes writes and reads again. */
  rejoin(r: Replica): void {
    r.state = 'in-sync';
    r.rejoins++;
    r.unflushed.clear();
    this.engine.trace.emit(this.src, 'mirror.rejoin', { server: r.server, bytes: r.resyncedBytes });
  }

  /** A usable connection of `server` with room (for `leg`, when given; least outstanding), or null. */
  connFor(server: number, leg?: Pick<MirrorCmd, 'type' | 'offset' | 'length'>): ConnectionSlot | null {
    let best: ConnectionSlot | null = null;
    for (const c of this.host.conns) {
      if (c.server !== server || !(leg === undefined ? c.canSend : c.canTake(leg))) continue;
      if (!best || c.outstanding < best.outstanding) best = c;
    }
    return best;
  }

  /** Whether some connection of `server` is up or on its way up. */
  comingBack(server: number): boolean {
    return this.host.conns.some((c) => c.server === server && COMING.has(c.phase));
  }

  usable(server: number): boolean {
    return this.host.conns.some((c) => c.server === server && c.usable);
  }

  private send(leg: MirrorCmd, slot: ConnectionSlot): void {
    // An export without FUA: the durability flush of a degraded mirror covers it (Resync.kick).
    if ((leg.flags & NBD_CMD_FLAG_FUA) !== 0 && slot.info?.canFua !== true) leg.flags &= ~NBD_CMD_FLAG_FUA;
    leg.state = RqState.QUEUED;
    this.live.add(leg);
    this.legsSent++;
    this.host.sendOn(leg, slot);
  }

  private legResolved(leg: MirrorCmd, ok: boolean, errno: number, slot?: ConnectionSlot): void {
    const fan = this.fans[leg.parentTag];
    const r = this.replicas[leg.replica]!;
    this.free(leg);
    if (!fan || fan.serial !== leg.serial || fan.parent === null) return;
    // An acknowledgement counts where the replica now holds the written regions: in sync, or
    // behind only elsewhere (when the last in-sync replica dropped out, such replicas carry the device).
    if (ok && (r.state === 'in-sync' || this.oneReplicaBug || this.holdsRange(r, leg.offset, leg.length))) {
      fan.acked++;
      if (slot) { fan.lastConn = slot.index; fan.lastServer = slot.server; }
    } else if (!ok && errno !== 0 && fan.errno === 0) fan.errno = errno;
    if (--fan.pending === 0) this.resolve(fan);
  }

  private resolve(fan: Fan): void {
    const parent = fan.parent!;
    fan.parent = null;
    parent.conn = fan.lastConn;
    this.host.complete(parent, fan.acked > 0 ? 0 : fan.errno || EIO, fan.lastServer);
    if (fan.write) this.gate.ended(parent);
  }

  private leg(tag: number, serial: number, server: number, parent: NbdCmd): MirrorCmd {
    const c = this.pool.pop() ?? new MirrorCmd(tag);
    c.wireTag = tag;
    c.kind = 'leg'; c.parentTag = tag; c.serial = serial; c.replica = server;
    c.type = parent.type; c.flags = parent.flags; c.offset = parent.offset; c.length = parent.length; c.data = parent.data;
    c.postFlush = false; c.sends = 0; c.conn = -1; c.retries = 0; c.error = 0; c.epoch = -1;
    c.tQueued = this.engine.now; c.tSent = 0; c.tReplied = 0;
    c.seq = this.ackSeq;
    // Degraded (a replica is behind): writes are made durable before they count, so a crash of
    // another replica's host cannot lose what only it acknowledged.
    if (this.degraded && c.type !== NBD_CMD_FLUSH) c.flags |= NBD_CMD_FLAG_FUA;
    c.state = RqState.QUEUED;
    return c;
  }

  private free(c: MirrorCmd): void {
    c.state = RqState.FREE;
    c.data = null;
    this.live.delete(c);
    if (c.kind === 'leg') this.pool.push(c);
  }
}
