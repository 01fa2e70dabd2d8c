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
    this.buf = Fifo.slots<T>(n);
  }

  /**
   * `n` empty slots that hold objects from the start: a bare new Array(n) holds small integers
   * until its first object, so push and shift saw two array maps (a polymorphic site per packet).
   */
  private static slots<T>(n: number): Array<T | undefined> {
    return new Array<T | undefined>(n).fill(undefined);
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
    const next = Fifo.slots<T>(old.length * 2);
    for (let i = 0; i < this.n; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/**
 * A FIFO whose items carry up to four numbers each (a wire's packets with their start, first
 * frame's arrival, frames and header bytes, a switch port's queue entries with their end and frame
 * count), kept in one typed array beside the items, four numbers a slot: one ring to manage,
 * no boxed numbers, and one array check and base load per access site instead of one per number.
 */
export class TaggedFifo<T> {
  private items: Array<T | null>;
  private nums: Float64Array;
  /** Slots − 1 (a power of two less one). */
  private mask: number;
  private head = 0;
  private n = 0;
  /** The numbers of the item the last shift() returned. */
  x = 0;
  y = 0;
  z = 0;
  w = 0;

  constructor(capacity = 16) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.items = new Array<T | null>(n).fill(null);
    this.nums = new Float64Array(4 * n);
    this.mask = n - 1;
  }

  get length(): number {
    return this.n;
  }

  push(v: T, x: number, y: number, z = 0, w = 0): void {
    if (this.n === this.mask + 1) this.grow();
    const i = (this.head + this.n) & this.mask;
    this.items[i] = v;
    const o = i << 2;
    const nums = this.nums;
    nums[o] = x;
    nums[o + 1] = y;
    nums[o + 2] = z;
    nums[o + 3] = w;
    this.n++;
  }

  /** Removes the oldest item and returns it; its numbers are in `x`, `y`, `z` and `w`. Throws when empty. */
  shift(): T {
    if (this.n === 0) throw new Error('TaggedFifo.shift on an empty queue');
    const i = this.head;
    const v = this.items[i] as T;
    this.items[i] = null;
    const o = i << 2;
    const nums = this.nums;
    this.x = nums[o]!;
    this.y = nums[o + 1]!;
    this.z = nums[o + 2]!;
    this.w = nums[o + 3]!;
    this.head = (i + 1) & this.mask;
    this.n--;
    return v;
  }

  /** The first number of the oldest item; only when length > 0. */
  peekX(): number {
    return this.nums[this.head << 2]!;
  }

  private grow(): void {
    const size = this.mask + 1;
    const items = new Array<T | null>(size * 2).fill(null);
    const nums = new Float64Array(size * 8);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & this.mask;
      items[k] = this.items[i]!;
      nums.set(this.nums.subarray(i << 2, (i << 2) + 4), k << 2);
    }
    this.items = items;
    this.nums = nums;
    this.mask = 2 * size - 1;
    this.head = 0;
  }
}
