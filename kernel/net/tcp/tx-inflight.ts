import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { SendChunk } from './send-queue.ts';

/**
 * One socket's data packets handed to the device and not yet done, each with the send-queue
 * chunk its payload is a view of (that chunk cannot be reused until the device is done with it).
 * Devices complete in order, so the packet done is almost always the oldest; a packet dropped
 * on the way down is done out of order and found by a short scan.
 */
export class TxInFlight {
  private pkts: (Packet | null)[] = [];
  private chunks: (SendChunk | null)[] = [];
  private head = 0;

  push(p: Packet, c: SendChunk): void {
    c.refs++;
    this.pkts.push(p);
    this.chunks.push(c);
  }

  /** Forgets `p`; returns its chunk (null when `p` is not tracked). */
  done(p: Packet): SendChunk | null {
    const ps = this.pkts;
    let i = this.head;
    while (i < ps.length && ps[i] !== p) i++;
    if (i === ps.length) return null;
    const c = this.chunks[i]!;
    ps[i] = null;
    this.chunks[i] = null;
    while (this.head < ps.length && ps[this.head] === null) this.head++;
    if (this.head === ps.length) {
      ps.length = 0;
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.pkts = ps.slice(this.head);
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return c;
  }
}
