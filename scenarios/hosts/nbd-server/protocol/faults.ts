import type { Rng } from '../../../../hw-sim/engine/rng.ts';
import { FaultSet } from '../../../../hw-sim/disk/faults.ts';

/** Ways a misbehaving server breaks the protocol, each on the next reply it sends. */
export type Misbehaviour =
  /** A reply whose magic is garbage. */
  | 'bad-magic'
  /** A reply carrying a cookie the client never used. */
  | 'wrong-cookie'
  /** A structured chunk of an unknown non-error type before the real reply. */
  | 'unknown-chunk'
  /** Half a reply, then the connection closes. */
  | 'truncated-reply'
  /** A complete reply for a command never sent, before the real one. */
  | 'unsolicited-reply';

/**
 * Fault knobs of one server, flippable at any (virtual) time; shared by all its sessions.
 * `io` fails requests like a disk would (EIO/ENOSPC by range or rate, from a named RNG stream);
 * `delayNs` holds every reply back; `hang` swallows requests without answering;
 * `misbehave()` arms protocol violations for the next replies.
 */
export class ServerFaults {
  readonly io: FaultSet;
  delayNs = 0;
  hang = false;
  private armed: Misbehaviour[] = [];

  constructor(rngOf: (name: string) => Rng, owner: string) {
    this.io = new FaultSet(rngOf, `${owner}/faults`);
  }

  /** Arms `kind` for the next `times` replies (in order after anything already armed). */
  misbehave(kind: Misbehaviour, times = 1): void {
    for (let i = 0; i < times; i++) this.armed.push(kind);
  }

  /** Takes the next armed misbehaviour, if any. */
  takeMisbehaviour(): Misbehaviour | undefined {
    return this.armed.length > 0 ? this.armed.shift() : undefined;
  }

  clearMisbehaviour(): void {
    this.armed = [];
  }

  clear(): void {
    this.io.clear();
    this.delayNs = 0;
    this.hang = false;
    this.armed = [];
  }
}
