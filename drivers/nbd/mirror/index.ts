/**
 * A mirror device's replication, as the request path and the device see it: which commands fan
 * out (mirror.ts), the resync of returning replicas (resync.ts), and the hooks they need.
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import type { NbdCmd } from '../request.ts';
import { bootOfDescription } from '../config/backend.ts';
import { Mirror, type MirrorHost } from './mirror.ts';
import type { MirrorCmd } from './mirror-cmd.ts';
import { Resync } from './resync.ts';

export { Mirror } from './mirror.ts';
export { MirrorCmd } from './mirror-cmd.ts';
export { Replica, type ReplicaState } from './replica.ts';
export { RESYNC_DEPTH } from './resync.ts';

/** What the request path asks of the mirror (io-path.ts). */
export interface MirrorPort {
  /** Does this command go to every in-sync replica instead of one connection? */
  takes(r: NbdCmd): boolean;
  fanOut(r: NbdCmd, tag: number): void;
  /** Is this one of the mirror's own commands (a leg or a resync copy)? */
  owns(r: NbdCmd): r is MirrorCmd;
  replied(r: MirrorCmd, errno: number, slot: ConnectionSlot): void;
  pump(): void;
}

export interface MirrorOptions {
  src: string;
  regionBytes: number;
  rateBps: number;
  /** The first of the resync's RESYNC_DEPTH wire tags (after blk-mq's and the cache's). */
  resyncTag: number;
}

export class MirrorSet implements MirrorPort {
  readonly mirror: Mirror;
  readonly resync: Resync;
  private readonly ignoresBoot: boolean;
  private readonly readsResyncing: boolean;
  private readonly engine: Engine;
  private readonly src: string;

  constructor(engine: Engine, o: MirrorOptions, host: MirrorHost) {
    this.mirror = new Mirror(engine, o.src, o.regionBytes, host);
    this.resync = new Resync(engine, this.mirror, (c, slot) => host.sendOn(c, slot), o.resyncTag, o.rateBps);
    this.mirror.onChange = () => this.resync.kick();
    this.ignoresBoot = engine.bugs.has('mirror-ignores-server-restart');
    this.readsResyncing = engine.bugs.has('mirror-reads-resyncing-replica');
    this.engine = engine;
    this.src = o.src;
  }

  takes(r: NbdCmd): boolean {
    return this.mirror.takes(r);
  }

  fanOut(r: NbdCmd, tag: number): void {
    this.mirror.fanOut(r, tag);
  }

  owns(r: NbdCmd): r is MirrorCmd {
    return this.mirror.owns(r);
  }

  replied(r: MirrorCmd, errno: number, slot: ConnectionSlot): void {
    if (r.kind === 'resync') this.resync.replied(r, errno, false);
    else this.mirror.replied(r, errno, slot);
  }

  pump(): void {
    this.mirror.pump();
  }

  /** May the load balancer send this server READs? Only when its replica holds every acknowledged write. */
  readable(server: number): boolean {
    // Injected mirror-reads-resyncing-replica: a replica still being resynchronised takes reads.
    if (this.readsResyncing && this.mirror.replicas[server]?.state === 'resyncing') return true;
    return this.mirror.readable(server);
  }

  /** The load balancer's gate: READs only to a replica that holds every acknowledged write. */
  allows(c: ConnectionSlot): boolean {
    return this.readable(c.server);
  }

  /**
   * A connection died: its replica drops out (while another is in sync) — its host may have
   * crashed and rebooted, losing what it had not flushed, before the next connection to it
   * comes up — its legs go with it; a resync copy on it is retried later.
   */
  connectionLost(slot: ConnectionSlot): void {
    this.mirror.connectionLost(slot);
    const r = this.mirror.replicas[slot.server];
    // A resyncing replica's legs never hold writes back: it goes back to out of sync. The last
    // in-sync replica stays (its legs wait) only if its host's crash could have lost nothing
    // acknowledged; with unflushed writes it is behind too, and the others' bitmaps say who holds what.
    // A connection that never came up (it timed out connecting or in the handshake) carried
    // nothing and says nothing about what its host holds.
    if (!this.mirror.sessions.delete(slot.index)) { this.resync.connectionLost(slot); this.mirror.connectivity(); return; }
    const last = r?.state === 'in-sync' && this.mirror.inSync === 1;
    const mayHaveLost = r !== undefined && r.unflushed.size > 0;
    if (r && (r.state === 'resyncing' || (r.state === 'in-sync' && (!last || mayHaveLost)))) this.mirror.dropOut(r, 'connection lost', 0, 0);
    this.resync.connectionLost(slot);
    this.mirror.connectivity();
  }

  /**
   * A connection entered transmission. Its server names its instance (a host restart is a new
   * one): the same instance as before still holds what it acknowledged and had not flushed when
   * its replica dropped out; a new one may not, and those regions stay to be resynchronised.
   */
  up(slot: ConnectionSlot): void {
    this.mirror.sessions.add(slot.index);
    const r = this.mirror.replicas[slot.server];
    if (r) {
      // Injected mirror-ignores-server-restart: every reconnect is taken for the same instance.
      const boot = this.ignoresBoot && r.boot !== null ? r.boot ?? 'same' : bootOfDescription(slot.info?.description ?? '');
      const seen = r.answered(boot);
      // Its host restarted before any connection to it was seen lost (they were idle, or still
      // connecting): what it had not flushed is gone, though it was counted in sync.
      if (seen === 'restarted' && r.state !== 'out-of-sync' && r.unflushed.size > 0) {
        this.mirror.dropOut(r, 'server restarted', 0, 0);
        r.restarted();
      }
      if (seen === 'restarted') this.engine.trace.emit(this.src, 'mirror.restarted', { server: r.server, dirty: r.dirty.size });
    }
    this.changed();
  }

  /** A connection came up or changed phase. */
  changed(): void {
    this.mirror.connectivity();
    this.mirror.pump();
    this.resync.kick();
  }
}
