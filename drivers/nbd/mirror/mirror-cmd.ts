import { NbdCmd } from '../request.ts';

/**
 * A command the mirror itself puts on the wire: one replica's copy of a write, trim, zeroes or
 * FLUSH (a leg, sent with its parent's tag on that replica's connection), or a resync READ /
 * WRITE / FLUSH (with a tag of the mirror's own, after blk-mq's and the cache's).
 */
export class MirrorCmd extends NbdCmd {
  /** 'leg': a copy of a parent request; 'resync': the background copy. */
  kind: 'leg' | 'resync' = 'leg';
  /** Parent's tag (legs); the fan-out it belongs to is `serial` (a stale leg is told by it). */
  parentTag = -1;
  serial = 0;
  /** Index of the replica (server) it is for. */
  replica = -1;
  /** FLUSH legs: the acknowledgement sequence number when sent (what a success makes durable). */
  seq = 0;

  constructor(public wireTag: number) {
    super(null, -1);
  }
}
