import type { Ns } from './time.ts';

/**
 * One scheduled callback. Cancelled events stay in the heap and are skipped when popped. `t` and
 * `seq` change only for an event lane's own record: when it runs, its lane refills it in place
 * with the lane's next event (the record moves down from the top, no pop and push).
 */
export interface SimEvent {
  t: Ns;
  seq: number;
  fn: (() => void) | null;
  label: string;
  /** The lane that owns this record (null: a plain event). */
  lane: LaneRefill | null;
}

/** An event lane as the queue sees it (event-lane.ts). */
export interface LaneRefill {
  /** The record `ev` is about to run: load the lane's next event into it; false when there is none. */
  refill(ev: SimEvent): boolean;
}

/**
 * Binary min-heap ordered by (time, insertion sequence): equal times run in the order they
 * were scheduled, which is what makes a run replayable.
 */
export class EventQueue {
  private heap: SimEvent[] = [];
  private nextSeq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(t: Ns, fn: () => void, label: string): SimEvent {
    this.live++;
    const ev: SimEvent = { t, seq: this.nextSeq++, fn, label, lane: null };
    this.siftUp(ev);
    return ev;
  }

  /**
   * A place in the order for an event that will be pushed later with `pushReserved` (an event
   * lane's backlog): it counts as live from now, and ties at its time break by this sequence.
   */
  reserve(): number {
    this.live++;
    return this.nextSeq++;
  }

  /** Pushes an event whose `t` and reserved `seq` are set (it is already counted live). */
  pushReserved(ev: SimEvent): void {
    this.siftUp(ev);
  }

  /** Reserved places given up without being pushed (a cleared lane's backlog). */
  release(n: number): void {
    this.live -= n;
  }

  private siftUp(ev: SimEvent): void {
    const t = ev.t;
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.t < t || (parent.t === t && parent.seq < ev.seq)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
  }

  cancel(ev: SimEvent): boolean {
    if (ev.fn === null) return false;
    ev.fn = null;
    this.live--;
    return true;
  }

  /** Earliest live event without removing it. */
  peek(): SimEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    this.dropCancelled();
    const ev = this.removeTop();
    if (ev) this.live--;
    return ev;
  }

  /**
   * The live top `ev` (from peek()) runs now: a plain event leaves the heap and is marked done; a
   * lane's record is refilled with the lane's next event and sinks from the top in place.
   */
  take(ev: SimEvent): void {
    this.live--;
    if (ev.lane !== null && ev.lane.refill(ev)) this.siftDown(ev);
    else {
      this.removeTop();
      ev.fn = null;
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === null) this.removeTop();
  }

  private removeTop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) this.siftDown(last);
    return top;
  }

  /** Places `last` from the top down (the top's slot is free or holds `last` itself). */
  private siftDown(last: SimEvent): void {
    const h = this.heap;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = h[l]!;
      if (r < n) {
        const rc = h[r]!;
        if (rc.t < child.t || (rc.t === child.t && rc.seq < child.seq)) {
          c = r;
          child = rc;
        }
      }
      if (last.t < child.t || (last.t === child.t && last.seq < child.seq)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}
