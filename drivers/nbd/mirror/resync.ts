/**
 * Background resynchronisation of mirror replicas that returned: region by region (the replica
 * with the fewest dirty regions first, so the mirror gets an in-sync copy back soonest; its
 * oldest dirt first), READ a region from a replica that holds it, WRITE it to the returning one,
 * then clear its bit — unless a write to that region started or ended meanwhile (the region's
 * generation moved: the copy may be stale, so the bit stays and the region is copied again
 * later). The region is fenced while it is copied (writes to it wait: write-gate.ts); when
 * every dirty region left has writes in flight, one is fenced and copied once they end. A region
 * no replica holds is taken back by the one that held it last (orphan.ts). When no bit is left
 * the replica gets a FLUSH, and rejoins once it is answered with the bitmap still empty. While
 * the mirror is degraded, in-sync replicas holding unflushed writes get a FLUSH too (durable).
 *
 * Up to RESYNC_DEPTH copies are in flight at once (one round trip per region would cap the copy
 * at region / RTT, far below a fast link's rate); their starts are paced to `rateBps`: a copy of
 * L bytes may start L / rate after the previous one's pacing slot.
 */
import type { Engine, EventHandle } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_WRITE } from '../protocol/uapi.ts';
import { RqState } from '../request.ts';
import { MirrorCmd } from './mirror-cmd.ts';
import type { Mirror } from './mirror.ts';
import type { Replica } from './replica.ts';
import { adoptOrphan } from './orphan.ts';

/** How long to wait before trying again when nothing can be copied now (busy regions, no source). */
const RETRY_NS = 200_000;
/** What a durability FLUSH asks of a connection (a UDP session takes it only with no write in flight). */
const FLUSH_SHAPE = { type: NBD_CMD_FLUSH, offset: 0, length: 0 };
/** Copies (or final FLUSHes) in flight at once, each with its own wire tag. */
export const RESYNC_DEPTH = 4;

/** One copy in flight: its command, the replica it fills and the region. */
interface Copy {
  readonly cmd: MirrorCmd;
  readonly buf: Uint8Array;
  target: Replica | null;
  region: number;
  gen0: number;
  /** Fenced and waiting for the writes in flight over its region to end (nothing sent yet). */
  draining: boolean;
}

export class Resync {
  private readonly copies: Copy[] = [];
  private timer: EventHandle | null = null;
  /** Earliest virtual time the next copy may start (the rate limit). */
  private nextStart = 0;
  private picks = 0;
  private readonly skipBug: boolean;
  /** Bytes copied by every resync; regions found dirty again mid-copy. */
  bytes = 0;
  restarts = 0;
  /** Most copies seen in flight at once. */
  peakInFlight = 0;
  /**
   * When copies were started, as it happened (for the run's check that resync_rate held): the
   * first and last start, and the bytes of every copy started before the last.
   */
  readonly starts = { firstNs: -1, lastNs: -1, bytesBeforeLast: 0, lastBytes: 0 };
  private readonly unpaced: boolean;
  /** Injected resync-copy-ignores-session: a copy's source is chosen by socket room alone. */
  private readonly anyRoom: boolean;
  exportBytes = 0;

  constructor(
    private readonly engine: Engine,
    private readonly mirror: Mirror,
    private readonly send: (cmd: MirrorCmd, slot: ConnectionSlot) => void,
    /** First wire tag of the resync's RESYNC_DEPTH tags. */
    tag: number,
    readonly rateBps: number,
  ) {
    for (let i = 0; i < RESYNC_DEPTH; i++) {
      const cmd = new MirrorCmd(tag + i);
      cmd.kind = 'resync';
      this.copies.push({ cmd, buf: new Uint8Array(mirror.regionBytes), target: null, region: -1, gen0: 0, draining: false });
    }
    this.skipBug = engine.bugs.has('resync-skips-dirty-region');
    this.unpaced = engine.bugs.has('resync-unpaced');
    this.anyRoom = engine.bugs.has('resync-copy-ignores-session');
  }

  get active(): boolean {
    return this.copies.some((c) => c.target !== null);
  }

  get inFlight(): number {
    return this.copies.filter((c) => c.target !== null).length;
  }

  /** Something changed (a replica came back, a copy ended): start copies while slots and the rate allow. */
  kick(): void {
    for (const c of this.copies) if (c.draining && !this.mirror.gate.busy.has(c.region)) this.drained(c);
    this.durable();
    if (this.timer !== null) return;
    const targets: Replica[] = [];
    for (const r of this.mirror.replicas) {
      if (!r || r.state === 'in-sync') continue;
      if (r.state === 'out-of-sync' && this.mirror.usable(r.server)) {
        r.state = 'resyncing';
        r.resyncTotal = r.dirty.size;
        this.engine.trace.emit('nbd.mirror', 'mirror.resync.start', { server: r.server, regions: r.dirty.size });
      }
      if (r.state !== 'resyncing') continue;
      if (!this.mirror.usable(r.server)) { this.mirror.dropOut(r, 'lost while resyncing', 0, 0); continue; }
      targets.push(r);
    }
    if (targets.length === 0) return;
    targets.sort((a, b) => a.dirty.size - b.dirty.size || a.server - b.server);
    let waiting = false;
    for (;;) {
      const free = this.copies.find((c) => c.target === null);
      if (!free) return;
      const wait = this.nextStart - this.engine.now;
      const started = this.startOne(free, targets, wait);
      if (started === 'started') continue;
      if (started === 'paced') { this.later(wait); return; }
      waiting = started === 'wait';
      break;
    }
    if (waiting && !this.active) this.later(RETRY_NS);
  }

  /**
   * Degraded mirror: each in-sync replica gets a FLUSH for the writes it acknowledged and has not
   * made durable, as soon as a replica fell behind (later writes go FUA: mirror.ts).
   */
  private durable(): void {
    if (!this.mirror.degraded) return;
    for (const r of this.mirror.replicas) {
      if (!r || !this.mirror.readable(r.server) || r.unflushed.size === 0 || this.copies.some((c) => c.target === r)) continue;
      const slot = this.copies.find((c) => c.target === null);
      const on = this.mirror.connFor(r.server, FLUSH_SHAPE);
      if (!slot) return;
      if (!on) continue;
      this.issue(slot, r, -1, NBD_CMD_FLUSH, 0, 0, on);
      slot.cmd.seq = this.mirror.acks;
    }
  }

  /** Starts one copy or final FLUSH in `slot`; 'paced' when a copy waits for the rate, 'wait' when nothing can go now. */
  private startOne(slot: Copy, targets: readonly Replica[], waitNs: number): 'started' | 'paced' | 'wait' | 'done' {
    let pending = false;
    const draining = this.copies.some((c) => c.draining);
    for (const r of targets) {
      const to = this.mirror.connFor(r.server);
      if (r.dirty.size === 0) {
        if (this.copies.some((c) => c.target === r)) continue;
        const on = to && this.mirror.connFor(r.server, FLUSH_SHAPE);
        if (!on) { pending = true; continue; }
        this.issue(slot, r, -1, NBD_CMD_FLUSH, 0, 0, on);
        return 'started';
      }
      pending = true;
      if (!to) continue;
      let hot = -1;
      for (const g of r.dirty) {
        if (this.copies.some((c) => c.target === r && c.region === g)) continue;
        if (this.mirror.gate.busy.has(g)) { if (hot < 0) hot = g; continue; }
        let from = this.source(g, r);
        if (!from) {
          // No replica holds it: the one that held it last takes it back (it may be this one).
          const adopted = adoptOrphan(this.mirror, g);
          if (adopted) this.engine.trace.emit('nbd.mirror', 'mirror.adopt', { server: adopted.server, region: g });
          if (adopted === r) continue;
          if (adopted) from = this.source(g, r);
          if (!from) continue;
        }
        if (waitNs > 0) return 'paced';
        if (this.skipBug && this.picks++ % 4 === 1) {
          // Injected resync-skips-dirty-region: the bit is cleared, nothing is copied.
          r.clean(g);
          continue;
        }
        const off = g * this.mirror.regionBytes;
        const len = this.pace(g);
        this.mirror.gate.fence(g);
        this.issue(slot, r, g, NBD_CMD_READ, off, len, from);
        return 'started';
      }
      // Every dirty region left has writes in flight: fence one (md's resync barrier: new writes
      // to it wait) and copy it once those end, or a busy region would never be copied.
      if (hot >= 0 && !draining && this.source(hot, r)) {
        if (waitNs > 0) return 'paced';
        this.pace(hot);
        this.mirror.gate.fence(hot);
        slot.target = r; slot.region = hot; slot.draining = true;
        return 'started';
      }
    }
    return pending ? 'wait' : 'done';
  }

  /** The rate limit: the next copy may start this region's bytes / rate later. */
  private pace(g: number): number {
    const off = g * this.mirror.regionBytes;
    const len = Math.min(this.mirror.regionBytes, this.exportBytes - off);
    // Injected resync-unpaced: copies start as fast as RESYNC_DEPTH slots free up.
    if (!this.unpaced) this.nextStart = Math.max(this.nextStart, this.engine.now) + (len * 1e9) / this.rateBps;
    const s = this.starts;
    if (s.firstNs < 0) s.firstNs = this.engine.now;
    else s.bytesBeforeLast += s.lastBytes;
    s.lastNs = this.engine.now;
    s.lastBytes = len;
    return len;
  }

  /** A fenced region's writes in flight ended: its copy starts (or the claim is given up). */
  private drained(c: Copy): void {
    c.draining = false;
    const r = c.target!;
    const from = this.source(c.region, r);
    const to = this.mirror.connFor(r.server);
    if (r.state !== 'resyncing' || !from || !to) { this.end(c, RETRY_NS); return; }
    const off = c.region * this.mirror.regionBytes;
    this.issue(c, r, c.region, NBD_CMD_READ, off, Math.min(this.mirror.regionBytes, this.exportBytes - off), from);
  }

  private later(ns: number): void {
    this.timer = this.engine.schedule(Math.max(1, Math.round(ns)), () => { this.timer = null; this.kick(); }, 'nbd.mirror.resync');
  }

  /**
   * A connection with room to a replica that holds region `g` (an in-sync one first; else one that
   * is itself behind but not on `g`: when the last in-sync replica dropped out, the others still
   * hold every region their bitmap does not name).
   */
  private source(g: number, target: Replica): ConnectionSlot | null {
    let fallback: ConnectionSlot | null = null;
    const off = g * this.mirror.regionBytes;
    // The copy's READ, as the connection's session must take it now (a UDP session queues nothing).
    const read = this.anyRoom ? undefined : { type: NBD_CMD_READ, offset: off, length: Math.min(this.mirror.regionBytes, this.exportBytes - off) };
    for (const r of this.mirror.replicas) {
      if (!r || r === target) continue;
      if (this.mirror.readable(r.server)) {
        const c = this.mirror.connFor(r.server, read);
        if (c) return c;
      } else if (fallback === null && this.mirror.holds(r, g)) {
        fallback = this.mirror.connFor(r.server, read);
      }
    }
    return fallback;
  }

  private issue(slot: Copy, target: Replica, region: number, type: number, offset: number, length: number, on: ConnectionSlot): void {
    slot.target = target;
    slot.region = region;
    if (region >= 0) slot.gen0 = this.mirror.gate.gen.get(region) ?? 0;
    const c = slot.cmd;
    c.type = type; c.flags = 0; c.offset = offset; c.length = length;
    c.data = type === NBD_CMD_FLUSH ? null : slot.buf.subarray(0, length);
    c.replica = target.server;
    c.sends = 0; c.conn = -1; c.retries = 0; c.error = 0; c.epoch = -1; c.postFlush = false;
    c.tQueued = this.engine.now;
    c.state = RqState.QUEUED;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.send(c, on);
  }

  /** A resync command's reply (or its loss: `lost`). */
  replied(cmd: MirrorCmd, errno: number, lost: boolean): void {
    const slot = this.copies.find((c) => c.cmd === cmd);
    if (!slot || slot.target === null) return;
    const r = slot.target;
    cmd.state = RqState.FREE;
    const type = cmd.type;
    if (r.state === 'in-sync' && type === NBD_CMD_FLUSH) {
      // The degraded mirror's durability flush: what was acknowledged before it is durable.
      if (!lost && errno === 0) for (const [g, s] of r.unflushed) { if (s <= cmd.seq) r.unflushed.delete(g); }
      this.end(slot, lost || errno !== 0 ? RETRY_NS : 0);
      return;
    }
    if (lost || errno !== 0 || r.state !== 'resyncing') {
      if (!lost && errno !== 0 && type !== NBD_CMD_READ) r.lastReason = `resync ${type === NBD_CMD_FLUSH ? 'flush' : 'write'} failed with error ${errno}`;
      this.end(slot, RETRY_NS);
      return;
    }
    if (type === NBD_CMD_FLUSH) {
      if (r.dirty.size === 0) this.mirror.rejoin(r);
      this.end(slot, 0);
      return;
    }
    if ((this.mirror.gate.gen.get(slot.region) ?? 0) !== slot.gen0) { this.restarts++; this.end(slot, 0); return; }
    if (type === NBD_CMD_READ) {
      const to = this.mirror.connFor(r.server, { type: NBD_CMD_WRITE, offset: cmd.offset, length: cmd.length });
      if (!to) { this.end(slot, RETRY_NS); return; }
      this.issue(slot, r, slot.region, NBD_CMD_WRITE, cmd.offset, cmd.length, to);
      return;
    }
    r.clean(slot.region);
    // Copied but not yet flushed there: a crash before the final FLUSH makes it dirty again.
    r.unflushed.set(slot.region, 0);
    r.resyncedBytes += cmd.length;
    r.resyncedRegions++;
    this.bytes += cmd.length;
    this.end(slot, 0);
  }

  /** A connection died: the copies on it are lost (tried again later). */
  connectionLost(conn: ConnectionSlot): void {
    for (const c of this.copies) if (c.target !== null && c.cmd.state === RqState.SENT && c.cmd.conn === conn.index) this.replied(c.cmd, 0, true);
  }

  private end(slot: Copy, waitNs: number): void {
    const g = slot.region;
    slot.draining = false;
    slot.target = null;
    slot.region = -1;
    // Writes that waited for the copy go now (their fan-out may re-enter kick: the slot is free).
    if (g >= 0) this.mirror.gate.unfence(g);
    if (waitNs > 0) { if (this.timer === null) this.later(waitNs); }
    else this.kick();
  }
}
