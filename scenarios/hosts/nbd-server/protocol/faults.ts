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
  | 'unsolicited-reply'
  /** Legal: a READ's data as two OFFSET_DATA chunks, the second half first (misbehave.ts). */
  | 'reversed-chunks'
  /** Before a READ's reply, a copy with the previous connection's generation and other data (misbehave.ts). */
  | 'stale-reply';

/**
 * Fault knobs of one server, flippable at any (virtual) time; shared by all its sessions.
 * `io` fails requests like a disk would (EIO/ENOSPC by range or rate, from a named RNG stream);
 * `delayNs` holds every reply back; `hang` swallows requests without answering;
 * `misbehave()` arms protocol violations for the next replies; `memFlipRate` flips a bit of
 * read data in the server's memory after its payload checksum was computed (a DRAM fault).
 */
export class ServerFaults {
  readonly io: FaultSet;
  delayNs = 0;
  hang = false;
  /** Probability per READ reply that one bit of its data flips in memory before the send (0: off). */
  memFlipRate = 0;
  /** Bits flipped so far. */
  memFlips = 0;
  private armed: Misbehaviour[] = [];
  private readonly memRng: Rng;

  constructor(rngOf: (name: string) => Rng, owner: string) {
    this.io = new FaultSet(rngOf, `${owner}/faults`);
    this.memRng = rngOf(`${owner}/mem-flip`);
  }

  /**
   * This READ reply's memory fault, drawn once per reply whatever its number of data runs: the
   * index of the bit of its `bytes` of data that flips, or -1.
   */
  drawReply(bytes: number): number {
    if (this.memFlipRate === 0 || bytes === 0 || !this.memRng.chance(this.memFlipRate)) return -1;
    return this.memRng.int(bytes * 8);
  }

  /**
   * The payload of the run holding data[from, from + len) as the send finds it in memory: `body`
   * itself, or a copy with the reply's flipped bit (`at`, from drawReply) when it falls in the run.
   * A framed run's body may be shorter than its data (compression): the bit lands proportionally.
   */
  memory(body: Uint8Array, at: number, from: number, len: number): Uint8Array {
    const rel = at - from * 8;
    if (at < 0 || rel < 0 || rel >= len * 8 || body.length === 0) return body;
    const bit = Math.floor((rel * body.length) / len);
    const out = body.slice();
    out[bit >> 3]! ^= 1 << (bit & 7);
    this.memFlips++;
    return out;
  }

  /** No knob touches replies now: no delay, hang, memory fault or armed misbehaviour. */
  get quiet(): boolean {
    return this.delayNs === 0 && !this.hang && this.memFlipRate === 0 && this.armed.length === 0;
  }

  /** Arms `kind` for the next `times` replies (in order after anything already armed). */
  misbehave(kind: Misbehaviour, times = 1): void {
    for (let i = 0; i < times; i++) this.armed.push(kind);
  }

  /** Takes the next armed misbehaviour, if any. */
  takeMisbehaviour(): Misbehaviour | undefined {
    return this.armed.length > 0 ? this.armed.shift() : undefined;
  }

  /** Puts back a misbehaviour the reply it was taken for could not carry (it waits for the next). */
  rearm(kind: Misbehaviour): void {
    this.armed.unshift(kind);
  }

  clearMisbehaviour(): void {
    this.armed = [];
  }

  clear(): void {
    this.io.clear();
    this.delayNs = 0;
    this.hang = false;
    this.memFlipRate = 0;
    this.armed = [];
  }
}
