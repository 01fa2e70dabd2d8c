/**
 * Growable ring-buffer FIFO: O(1) push/shift without Array.prototype.shift's copying, and no
 * allocation once it has grown to its working size. Used for packets in flight on the hot path.
 * The capacity is a power of two, so positions wrap with a mask instead of a division.
 */
export class Fifo<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  private n = 0;

  constructor(capacity = 16) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.buf = new Array<T | undefined>(n);
  }

  get length(): number {
    return this.n;
  }

  push(v: T): void {
    if (this.n === this.buf.length) this.grow();
    this.buf[(this.head + this.n) & (this.buf.length - 1)] = v;
    this.n++;
  }

  /** Removes and returns the oldest item; throws when empty (a bookkeeping bug). */
  shift(): T {
    if (this.n === 0) throw new Error('Fifo.shift on an empty queue');
    const v = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.n--;
    return v;
  }

  /** The i-th oldest item (0 = head), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.n ? this.buf[(this.head + i) & (this.buf.length - 1)] : undefined;
  }

  /** Replaces the i-th oldest item (0 = head); i must be in range. */
  setAt(i: number, v: T): void {
    if (i < 0 || i >= this.n) throw new RangeError(`Fifo.setAt(${i}) outside 0..${this.n - 1}`);
    this.buf[(this.head + i) & (this.buf.length - 1)] = v;
  }

  peek(): T | undefined {
    return this.n > 0 ? this.buf[this.head] : undefined;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.n; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
