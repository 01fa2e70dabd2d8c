/**
 * A mirror device's replication, as the request path and the device see it: which commands fan
 * out (mirror.ts), the resync of returning replicas (resync.ts), and the hooks they need.
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import type { NbdCmd } from '../request.ts';
import { Mirror, type MirrorHost } from './mirror.ts';
import type { MirrorCmd } from './mirror-cmd.ts';
import { Resync } from './resync.ts';

export { Mirror } from './mirror.ts';
export { MirrorCmd } from './mirror-cmd.ts';
export { Replica, type ReplicaState } from './replica.ts';

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
  /** The wire tag of the resync's command (after blk-mq's and the cache's). */
  resyncTag: number;
}

export class MirrorSet implements MirrorPort {
  readonly mirror: Mirror;
  readonly resync: Resync;

  constructor(engine: Engine, o: MirrorOptions, host: MirrorHost) {
    this.mirror = new Mirror(engine, o.src, o.regionBytes, host);
    this.resync = new Resync(engine, this.mirror, (c, slot) => host.sendOn(c, slot), o.resyncTag, o.rateBps);
    this.mirror.onChange = () => this.resync.kick();
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
    if (r.kind === 'resync') this.resync.replied(errno, false);
    else this.mirror.replied(r, errno, slot);
  }

  pump(): void {
    this.mirror.pump();
  }

  readable(server: number): boolean {
    return this.mirror.readable(server);
  }

  /**
   * A connection died: its replica drops out (while another is in sync) — its host may have
   * crashed and rebooted, losing what it had not flushed, before the next connection to it
   * comes up — its legs go with it; a resync copy on it is retried later.
   */
  connectionLost(slot: ConnectionSlot): void {
    this.mirror.connectionLost(slot);
    const r = this.mirror.replicas[slot.server];
    // A resyncing replica's legs never hold writes back: it goes back to out of sync.
    if (r && (r.state === 'resyncing' || (r.state === 'in-sync' && this.mirror.inSync > 1))) this.mirror.dropOut(r, 'connection lost', 0, 0);
    this.resync.connectionLost(slot);
    this.mirror.connectivity();
  }

  /** A connection came up or changed phase. */
  changed(): void {
    this.mirror.connectivity();
    this.mirror.pump();
    this.resync.kick();
  }
}
