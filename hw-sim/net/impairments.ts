/**
 * Link impairments as plain data, changeable at any virtual time, and the corruption of a frame.
 * Probabilities are per wire frame (a TSO chunk of N frames gets N draws).
 */
import type { Rng } from '../engine/rng.ts';
import { assertNs, type Ns } from '../engine/time.ts';
import type { Packet } from './packet.ts';

export type Partition = 'none' | 'a->b' | 'b->a' | 'both';

export interface Impairments {
  /** Probability a frame is dropped. */
  loss: number;
  /** Probability a (not lost) frame is delivered twice. */
  duplicate: number;
  /** Probability a (not lost) frame is held back by reorderDelayNs, letting later frames pass it. */
  reorder: number;
  reorderDelayNs: Ns;
  /** Probability a (not lost) frame gets one bit flipped. */
  corrupt: number;
  /** Direction(s) that drop everything. */
  partition: Partition;
  /** Carrier: false drops everything in both directions (link flap = toggling this). */
  up: boolean;
}

export const NO_IMPAIRMENTS: Readonly<Impairments> = Object.freeze({
  loss: 0, duplicate: 0, reorder: 0, reorderDelayNs: 0, corrupt: 0, partition: 'none', up: true,
});

const PARTITIONS: readonly Partition[] = ['none', 'a->b', 'b->a', 'both'];

/** `cur` with `patch` applied, validated; throws naming the field and `where`. */
export function applyImpairments(cur: Readonly<Impairments>, patch: Partial<Impairments>, where: string): Impairments {
  const next: Impairments = {
    loss: patch.loss ?? cur.loss,
    duplicate: patch.duplicate ?? cur.duplicate,
    reorder: patch.reorder ?? cur.reorder,
    reorderDelayNs: patch.reorderDelayNs ?? cur.reorderDelayNs,
    corrupt: patch.corrupt ?? cur.corrupt,
    partition: patch.partition ?? cur.partition,
    up: patch.up ?? cur.up,
  };
  for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    const v = next[k];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${where}: impairment '${k}' must be a probability in [0, 1], got ${v}`);
  }
  assertNs(next.reorderDelayNs, `${where}: impairment 'reorderDelayNs'`);
  if (!PARTITIONS.includes(next.partition)) {
    throw new RangeError(`${where}: impairment 'partition' must be one of ${PARTITIONS.join(', ')}, got '${String(next.partition)}'`);
  }
  if (typeof next.up !== 'boolean') throw new TypeError(`${where}: impairment 'up' must be a boolean`);
  return next;
}

/**
 * Which bit was flipped in a corrupted packet: ≥ 0 is a bit index into the payload; −1 − b means
 * bit b of the IP id (a frame without payload). The pcap tap uses it to write the original checksum.
 */
const flipped = new WeakMap<Packet, number>();

export function corruptionOf(p: Packet): number | undefined {
  return flipped.get(p);
}

/** A copy of `p` with one bit flipped (in a copy of the payload) and `corrupt` set. */
export function corruptPacket(p: Packet, rng: Rng): Packet {
  const q: Packet = {
    src: p.src, dst: p.dst, proto: p.proto, ipId: p.ipId, ttl: p.ttl,
    payload: p.payload, gsoSize: p.gsoSize, corrupt: true, ...(p.rids ? { rids: p.rids } : {}),
  };
  if (p.tcp) q.tcp = p.tcp;
  if (p.udp) q.udp = p.udp;
  if (p.payload.length > 0) {
    const bit = rng.int(p.payload.length * 8);
    const copy = p.payload.slice();
    copy[bit >> 3]! ^= 1 << (bit & 7);
    q.payload = copy;
    flipped.set(q, bit);
  } else {
    const b = rng.int(16);
    q.ipId = (p.ipId ^ (1 << b)) & 0xffff;
    flipped.set(q, -1 - b);
  }
  return q;
}
