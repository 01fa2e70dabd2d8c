import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { SendChunk } from './send-queue.ts';

/**
 * One socket's data packets handed to the device and not yet done, each with the send-queue
 * chunk its payload is a view of (that chunk cannot be reused until the device is done with it).
 * Devices complete in order, so the packet done is almost always the oldest; a packet dropped
 * on the way down is done out of order and found by a short scan. The arrays keep their size
 * when they empty (`length = 0` would drop their storage and the next push reallocate it).
 */
export class TxInFlight {
  private readonly pkts: (Packet | null)[] = [];
  private readonly chunks: (SendChunk | null)[] = [];
  private head = 0;
  /** End of the live entries; slots from it on are null. */
  private end = 0;

  push(p: Packet, c: SendChunk): void {
    c.refs++;
    if (this.end === this.pkts.length) {
      this.pkts.push(p);
      this.chunks.push(c);
    } else {
      this.pkts[this.end] = p;
      this.chunks[this.end] = c;
    }
    this.end++;
  }

  /** Forgets `p`; returns its chunk (null when `p` is not tracked). */
  done(p: Packet): SendChunk | null {
    const ps = this.pkts;
    const end = this.end;
    let i = this.head;
    while (i < end && ps[i] !== p) i++;
    if (i === end) return null;
    const c = this.chunks[i]!;
    ps[i] = null;
    this.chunks[i] = null;
    while (this.head < end && ps[this.head] === null) this.head++;
    if (this.head === end) {
      this.head = 0;
      this.end = 0;
    } else if (this.head > 1024) {
      const live = end - this.head;
      ps.copyWithin(0, this.head, end);
      this.chunks.copyWithin(0, this.head, end);
      ps.fill(null, live, end);
      this.chunks.fill(null, live, end);
      this.head = 0;
      this.end = live;
    }
    return c;
  }
}
