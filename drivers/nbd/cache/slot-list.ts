/**
 * Intrusive doubly linked lists over slot numbers: every list of one cache shares the same
 * prev/next arrays (a slot is in at most one list at a time), so linking and unlinking allocate
 * nothing. Head = most recently inserted, tail = oldest.
 */
export class SlotLinks {
  readonly prev: Int32Array;
  readonly next: Int32Array;
  /** Which list holds the slot (-1: none). */
  readonly owner: Int8Array;

  constructor(readonly slots: number) {
    this.prev = new Int32Array(slots).fill(-1);
    this.next = new Int32Array(slots).fill(-1);
    this.owner = new Int8Array(slots).fill(-1);
  }
}

export class SlotList {
  head = -1;
  tail = -1;
  size = 0;

  constructor(private readonly l: SlotLinks, readonly id: number) {}

  pushHead(s: number): void {
    const l = this.l;
    if (l.owner[s] !== -1) throw new Error(`slot list ${this.id}: slot ${s} is already in list ${l.owner[s]}`);
    l.owner[s] = this.id;
    l.prev[s] = -1;
    l.next[s] = this.head;
    if (this.head >= 0) l.prev[this.head] = s;
    else this.tail = s;
    this.head = s;
    this.size++;
  }

  remove(s: number): void {
    const l = this.l;
    if (l.owner[s] !== this.id) return;
    const p = l.prev[s]!;
    const n = l.next[s]!;
    if (p >= 0) l.next[p] = n; else this.head = n;
    if (n >= 0) l.prev[n] = p; else this.tail = p;
    l.prev[s] = -1;
    l.next[s] = -1;
    l.owner[s] = -1;
    this.size--;
  }

  has(s: number): boolean {
    return this.l.owner[s] === this.id;
  }

  /** Moves a slot of this list to its head. */
  toHead(s: number): void {
    if (this.head === s) return;
    this.remove(s);
    this.pushHead(s);
  }

  /** The next newer slot than `s` (toward the head; -1 past the head): walks from the tail. */
  newer(s: number): number {
    return this.l.prev[s]!;
  }
}
