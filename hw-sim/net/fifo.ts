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

/**
 * A FIFO whose items carry up to three numbers each (a wire's packets with their start, delay and
 * first frame's arrival, a switch port's queue entries with their end and frame count), kept in
 * typed arrays beside the items: one ring to manage instead of four, and no boxed numbers.
 */
export class TaggedFifo<T> {
  private items: Array<T | null>;
  private xs: Float64Array;
  private ys: Float64Array;
  private zs: Float64Array;
  private head = 0;
  private n = 0;
  /** The numbers of the item the last shift() returned. */
  x = 0;
  y = 0;
  z = 0;

  constructor(capacity = 16) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.items = new Array<T | null>(n).fill(null);
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.zs = new Float64Array(n);
  }

  get length(): number {
    return this.n;
  }

  push(v: T, x: number, y: number, z = 0): void {
    if (this.n === this.xs.length) this.grow();
    const i = (this.head + this.n) & (this.xs.length - 1);
    this.items[i] = v;
    this.xs[i] = x;
    this.ys[i] = y;
    this.zs[i] = z;
    this.n++;
  }

  /** Removes the oldest item and returns it; its numbers are in `x`, `y` and `z`. Throws when empty. */
  shift(): T {
    if (this.n === 0) throw new Error('TaggedFifo.shift on an empty queue');
    const i = this.head;
    const v = this.items[i] as T;
    this.items[i] = null;
    this.x = this.xs[i]!;
    this.y = this.ys[i]!;
    this.z = this.zs[i]!;
    this.head = (i + 1) & (this.xs.length - 1);
    this.n--;
    return v;
  }

  /** The first number of the oldest item; only when length > 0. */
  peekX(): number {
    return this.xs[this.head]!;
  }

  private grow(): void {
    const size = this.xs.length;
    const items = new Array<T | null>(size * 2).fill(null);
    const xs = new Float64Array(size * 2);
    const ys = new Float64Array(size * 2);
    const zs = new Float64Array(size * 2);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & (size - 1);
      items[k] = this.items[i]!;
      xs[k] = this.xs[i]!;
      ys[k] = this.ys[i]!;
      zs[k] = this.zs[i]!;
    }
    this.items = items;
    this.xs = xs;
    this.ys = ys;
    this.zs = zs;
    this.head = 0;
  }
}
