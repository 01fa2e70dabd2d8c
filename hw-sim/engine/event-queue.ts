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

/** Events due further than this beyond the last one run wait in the far heap (timeouts, delayed ACKs). */
const FAR_NS = 1_000_000;

/**
 * Min-heaps ordered by (time, insertion sequence): equal times run in the order they were
 * scheduled, which is what makes a run replayable. Two heaps: events due within FAR_NS of the
 * last event run (wire, DMA, interrupts, CPU work) and the rest (retransmission and delayed-ACK
 * timers, watchdogs: most of the pending events, rarely the next). The next event is the lesser
 * of the two tops, so the order is that of one heap; the near heap the hot path works on stays
 * a few levels shallower.
 */
export class EventQueue {
  private near: SimEvent[] = [];
  private far: SimEvent[] = [];
  private nextSeq = 0;
  private live = 0;
  /** Time of the last event taken (the engine's now once it runs). */
  private lastT = 0;
  /** The event advance() took: its time and callback. */
  runT = 0;
  runFn: () => void = () => {};

  get size(): number {
    return this.live;
  }

  push(t: Ns, fn: () => void, label: string): SimEvent {
    this.live++;
    const ev: SimEvent = { t, seq: this.nextSeq++, fn, label, lane: null };
    siftUp(t - this.lastT > FAR_NS ? this.far : this.near, ev);
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
    siftUp(ev.t - this.lastT > FAR_NS ? this.far : this.near, ev);
  }

  /** Reserved places given up without being pushed (a cleared lane's backlog). */
  release(n: number): void {
    this.live -= n;
  }

  cancel(ev: SimEvent): boolean {
    if (ev.fn === null) return false;
    ev.fn = null;
    this.live--;
    return true;
  }

  /** Earliest live event without removing it. */
  peek(): SimEvent | undefined {
    const h = this.nextHeap();
    return h === null ? undefined : h[0];
  }

  pop(): SimEvent | undefined {
    const h = this.nextHeap();
    if (h === null) return undefined;
    const ev = h[0];
    this.live--;
    removeTop(h);
    return ev;
  }

  /**
   * Takes the next live event to run it: false when none; otherwise its time and callback are in
   * `runT` and `runFn`. A plain event leaves the heap and is marked done; a lane's record is
   * refilled with the lane's next event and sinks from the top in place.
   */
  advance(): boolean {
    const h = this.nextHeap();
    if (h === null) return false;
    const ev = h[0]!;
    this.runT = ev.t;
    this.runFn = ev.fn!;
    this.live--;
    this.lastT = ev.t;
    if (ev.lane !== null && ev.lane.refill(ev)) siftDown(h, ev);
    else {
      removeTop(h);
      ev.fn = null;
    }
    return true;
  }

  /** The heap whose top runs next (cancelled tops dropped), or null when nothing is live. */
  private nextHeap(): SimEvent[] | null {
    const near = this.near;
    const far = this.far;
    while (near.length > 0 && near[0]!.fn === null) removeTop(near);
    while (far.length > 0 && far[0]!.fn === null) removeTop(far);
    const a = near[0];
    const b = far[0];
    if (b === undefined) return a === undefined ? null : near;
    return a === undefined || before(b, a) ? far : near;
  }
}

/** `a` runs before `b`. */
function before(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

/** The child of the node whose left child is `l` that runs first (`l` < n). */
function firstChild(h: SimEvent[], l: number, n: number): number {
  return l + 1 < n && before(h[l + 1]!, h[l]!) ? l + 1 : l;
}

function siftUp(h: SimEvent[], ev: SimEvent): void {
  h.push(ev);
  rise(h, h.length - 1, ev);
}

/** Places `ev` at slot `i` or above (the slot is free). */
function rise(h: SimEvent[], i: number, ev: SimEvent): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = h[p]!;
    if (before(parent, ev)) break;
    h[i] = parent;
    i = p;
  }
  h[i] = ev;
}

/**
 * Removes the top. The hole left at the top moves down to a leaf along the first-running
 * children (one comparison a level), then the last element rises from there: it came from the
 * bottom and usually belongs near it, so this costs about half the comparisons of sinking it.
 */
function removeTop(h: SimEvent[]): void {
  const last = h.pop()!;
  const n = h.length;
  if (n === 0) return;
  let i = 0;
  for (let l = 1; l < n; l = 2 * i + 1) {
    const c = firstChild(h, l, n);
    h[i] = h[c]!;
    i = c;
  }
  rise(h, i, last);
}

/** Places `ev` from the top down (the top's slot holds `ev` itself: a refilled lane record). */
function siftDown(h: SimEvent[], ev: SimEvent): void {
  const n = h.length;
  let i = 0;
  for (let l = 1; l < n; l = 2 * i + 1) {
    const c = firstChild(h, l, n);
    const child = h[c]!;
    if (before(ev, child)) break;
    h[i] = child;
    i = c;
  }
  h[i] = ev;
}
