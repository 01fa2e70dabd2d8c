import type { SendChunk } from './send-queue.ts';

/**
 * The send-queue chunk each of one socket's data packets in the device reads, oldest first (a
 * chunk cannot be reused until the device is done with every packet made from it). The device
 * completes a socket's packets in the order they were handed down, and a packet dropped on the
 * way down (or looped back) is done before the next one is sent: it is always the newest entry.
 * So no packet needs to be kept here: a completion takes the oldest entry, a drop the newest.
 * The ring keeps its storage when it empties (no reallocation per burst).
 */
export class TxInFlight {
  private ring: (SendChunk | null)[] = new Array<SendChunk | null>(16).fill(null);
  private head = 0;
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(c: SendChunk): void {
    c.refs++;
    if (this.n === this.ring.length) this.grow();
    this.ring[(this.head + this.n) & (this.ring.length - 1)] = c;
    this.n++;
  }

  /** Forgets the oldest entry (newest: the one pushed last); returns its chunk, null when empty. */
  done(newest: boolean): SendChunk | null {
    if (this.n === 0) return null;
    const mask = this.ring.length - 1;
    let i: number;
    if (newest) {
      i = (this.head + this.n - 1) & mask;
    } else {
      i = this.head;
      this.head = (i + 1) & mask;
    }
    this.n--;
    const c = this.ring[i]!;
    this.ring[i] = null;
    return c;
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<SendChunk | null>(old.length * 2).fill(null);
    for (let k = 0; k < this.n; k++) next[k] = old[(this.head + k) & (old.length - 1)]!;
    this.ring = next;
    this.head = 0;
  }
}
