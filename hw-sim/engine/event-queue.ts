import type { Ns } from './time.ts';

/** One scheduled callback (an engine.schedule handle). A cancelled event stays in the heap and is skipped when popped. */
export interface SimEvent {
  t: Ns;
  seq: number;
  /** null once run or cancelled. */
  fn: (() => void) | null;
  label: string;
  /** Its index in the queue's event table while it is in a heap. */
  id: number;
}

/**
 * An event lane as the queue sees it (event-lane.ts). A lane is its own heap entry: the entry's id
 * is -1 - the lane's slot in the queue's lane table, so running a lane's event reads the lane
 * and no record object besides it.
 */
export interface LaneRefill {
  /** The lane's callback, run for each of its events. */
  readonly fn: () => void;
  /**
   * The lane's queued entry is about to run: when the lane has a next event, it gives its key to
   * `top.sinkTop` (the entry stays queued) and returns true; false when there is none.
   */
  refill(top: HeapTop): boolean;
}

/** The heap as a refilling lane sees it. */
export interface HeapTop {
  /** The top entry's key becomes (t, seq), never earlier than it was: it sinks to its place. */
  sinkTop(t: number, seq: number): void;
}

/** Events due further than this beyond now wait in the far heap (timeouts, delayed ACKs). */
const FAR_NS = 1_000_000;

/**
 * A binary min-heap of event ids ordered by (time, sequence), in one typed array of four numbers
 * an entry (time, sequence, event id, unused): a comparison reads unboxed numbers, moving an entry
 * stores numbers only (object references would pay a GC write barrier per move), and optimised
 * code checks and loads one array per step instead of one per field (three arrays cost three
 * map checks and three base loads per level).
 */
class Heap implements HeapTop {
  k = new Float64Array(4 * 32);
  n = 0;

  push(id: number, t: number, seq: number): void {
    if (this.n << 2 === this.k.length) this.grow();
    this.rise(this.n++, id, t, seq);
  }

  /** Places (id, t, seq) at free slot `i` or above. */
  private rise(i: number, id: number, t: number, seq: number): void {
    const k = this.k;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const po = p << 2;
      const pt = k[po]!;
      if (pt < t || (pt === t && k[po + 1]! < seq)) break;
      const o = i << 2;
      k[o] = pt;
      k[o + 1] = k[po + 1]!;
      k[o + 2] = k[po + 2]!;
      i = p;
    }
    const o = i << 2;
    k[o] = t;
    k[o + 1] = seq;
    k[o + 2] = id;
  }

  /**
   * Removes the top. The hole left at the top moves down to a leaf along the first-running
   * children (one comparison a level), then the last entry rises from there: it came from the
   * bottom and usually belongs near it, so this costs about half the comparisons of sinking it.
   */
  removeTop(): void {
    const n = --this.n;
    if (n === 0) return;
    const k = this.k;
    const last = n << 2;
    const t = k[last]!;
    const seq = k[last + 1]!;
    const id = k[last + 2]!;
    let i = 0;
    for (let l = 1; l < n; l = 2 * i + 1) {
      let c = l;
      const lo = l << 2;
      if (l + 1 < n) {
        const lt = k[lo]!;
        const rt = k[lo + 4]!;
        if (rt < lt || (rt === lt && k[lo + 5]! < k[lo + 1]!)) c = l + 1;
      }
      const o = i << 2;
      const co = c << 2;
      k[o] = k[co]!;
      k[o + 1] = k[co + 1]!;
      k[o + 2] = k[co + 2]!;
      i = c;
    }
    this.rise(i, id, t, seq);
  }

  sinkTop(t: number, seq: number): void {
    // In entry offsets (index · 4): the children of the entry at o are at 2o + 4 and 2o + 8.
    // A child's sequence is read only when its time ties.
    const end = this.n << 2;
    const k = this.k;
    const id = k[2]!;
    let o = 0;
    for (let lo = 4; lo < end; lo = 2 * o + 4) {
      let co = lo;
      let ct = k[lo]!;
      const ro = lo + 4;
      if (ro < end) {
        const rt = k[ro]!;
        if (rt < ct || (rt === ct && k[ro + 1]! < k[lo + 1]!)) {
          co = ro;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && seq < k[co + 1]!)) break;
      k[o] = ct;
      k[o + 1] = k[co + 1]!;
      k[o + 2] = k[co + 2]!;
      o = co;
    }
    k[o] = t;
    k[o + 1] = seq;
    k[o + 2] = id;
  }

  private grow(): void {
    const k = new Float64Array(this.k.length * 2);
    k.set(this.k);
    this.k = k;
  }
}

/**
 * Min-heaps ordered by (time, insertion sequence): equal times run in the order they were
 * scheduled, which is what makes a run replayable. Two heaps: events due within FAR_NS of now
 * (wire, DMA, interrupts, CPU work) and the rest (retransmission and delayed-ACK
 * timers, watchdogs: most of the pending events, rarely the next). The next event is the lesser
 * of the two tops, so the order is that of one heap; the near heap the hot path works on stays
 * a few levels shallower. The queue keeps the virtual time and runs the events (run()): the
 * engine is a front for it.
 */
export class EventQueue {
  private near = new Heap();
  private far = new Heap();
  /** Plain events by id: every one in a heap. */
  private events: Array<SimEvent | null> = [];
  private freeIds: number[] = [];
  /** Lanes by slot; null: a slot whose lane was cleared while queued, until its stale entry surfaces. */
  private lanes: Array<LaneRefill | null> = [];
  private freeLaneSlots: number[] = [];
  private nextSeq = 0;
  private live = 0;
  /** Virtual time: the time of the event running or last run, or where runUntil left it (the engine's now). */
  now: Ns = 0;
  /** Events run so far. */
  executed = 0;
  /** Set by stop() during run(), cleared when a run starts. */
  stopped = false;

  get size(): number {
    return this.live;
  }

  push(t: Ns, fn: () => void, label: string): SimEvent {
    this.live++;
    const seq = this.nextSeq++;
    const ev: SimEvent = { t, seq, fn, label, id: this.newId() };
    this.events[ev.id] = ev;
    (t - this.now > FAR_NS ? this.far : this.near).push(ev.id, t, seq);
    return ev;
  }

  /** A slot in the lane table for `lane` (a lane keeps it while it lives, or until a clear while queued). */
  registerLane(lane: LaneRefill): number {
    const slot = this.freeLaneSlots.pop();
    if (slot === undefined) {
      this.lanes.push(lane);
      return this.lanes.length - 1;
    }
    this.lanes[slot] = lane;
    return slot;
  }

  /**
   * A place in the order for an event that will be pushed later with `pushLane` (an event
   * lane's backlog): it counts as live from now, and ties at its time break by this sequence.
   */
  reserve(): number {
    this.live++;
    return this.nextSeq++;
  }

  /** Queues the lane in `slot` at (t, seq), `seq` reserved (it is already counted live). */
  pushLane(slot: number, t: Ns, seq: number): void {
    (t - this.now > FAR_NS ? this.far : this.near).push(-1 - slot, t, seq);
  }

  /**
   * The queued entry of the lane in `slot` is cancelled: the slot is emptied (the entry is dropped
   * when it surfaces, and the slot freed then); the lane needs a new slot for later events.
   */
  cancelLane(slot: number): void {
    this.lanes[slot] = null;
    this.live--;
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

  /** Time of the earliest live event, or undefined when none. */
  peekTime(): Ns | undefined {
    const h = this.next();
    return h === null ? undefined : h.k[0]!;
  }

  /** Removes and returns the earliest live event, a plain one (tests: a queue with lanes is run, not popped). */
  pop(): SimEvent | undefined {
    const h = this.next();
    if (h === null) return undefined;
    const id = h.k[2]!;
    if (id < 0) throw new Error('EventQueue.pop: the earliest event is a lane\'s');
    const ev = this.events[id]!;
    this.live--;
    h.removeTop();
    this.events[id] = null;
    this.freeIds.push(id);
    return ev;
  }

  /**
   * Runs the live events due by `until`, in order, at most `maxEvents`, until stop() is called
   * during one; returns how many ran. The loop and the pop are one function (a pop called per
   * event is over V8's inlining budget): a plain event leaves the heap and is marked done; a
   * lane's entry is refilled with the lane's next event and sinks from the top in place.
   */
  run(until: Ns, maxEvents: number): number {
    this.stopped = false;
    const near = this.near;
    const far = this.far;
    // Numbers from here on: a parameter compared in the loop is checked and unboxed at every event.
    const end = +until;
    const max = +maxEvents;
    let n = 0;
    // `=== false`: a bare truth test of a field compiles to a check for every falsy kind of value.
    while (n < max && this.stopped === false) {
      // The heap with the earlier top; a cancelled top found there is dropped and the look
      // repeated (one event lookup per event, not a look for cancelled tops and then another).
      let h = near;
      if (near.n === 0) {
        if (far.n === 0) break;
        h = far;
      } else if (far.n > 0) {
        // Usually the far heap's top is later than the near one's: one comparison.
        const nt = near.k[0]!;
        const ft = far.k[0]!;
        if (ft < nt || (ft === nt && far.k[1]! < near.k[1]!)) h = far;
      }
      const k = h.k;
      const t = k[0]!;
      if (t > end) break;
      const id = k[2]!;
      // A lane (id < 0) stays queued when it has a next event; a plain event, a lane without one,
      // or a cancelled entry leaves the heap (one removeTop site: each site is inlined on its own).
      let fn: (() => void) | null = null;
      let keep = false;
      if (id < 0) {
        const lane = this.lanes[-1 - id] as LaneRefill | null;
        if (lane !== null) {
          fn = lane.fn;
          keep = lane.refill(h);
        }
      } else {
        const ev = this.events[id]!;
        fn = ev.fn;
        ev.fn = null;
      }
      if (keep === false) {
        h.removeTop();
        if (id >= 0) {
          this.events[id] = null;
          this.freeIds.push(id);
        } else if (fn === null) this.freeLaneSlots.push(-1 - id);
        if (fn === null) continue;
      }
      this.now = t;
      this.executed++;
      this.live--;
      // Not null here: a kept lane has its callback, a null one left through the continue above.
      (fn as () => void)();
      n++;
    }
    return n;
  }

  /** Makes the current run() return after the event in progress. */
  stop(): void {
    this.stopped = true;
  }

  /** The heap whose top runs next (cancelled tops dropped), or null when nothing is live. */
  private next(): Heap | null {
    const near = this.near;
    const far = this.far;
    while (near.n > 0 && this.dropCancelledTop(near) === true);
    // Usually the far heap's top (live or not) is later than the near one's: it cannot run next.
    if (near.n > 0 && (far.n === 0 || near.k[0]! < far.k[0]!)) return near;
    while (far.n > 0 && this.dropCancelledTop(far) === true);
    if (far.n === 0) return near.n === 0 ? null : near;
    if (near.n === 0) return far;
    const at = near.k[0]!;
    const bt = far.k[0]!;
    return bt < at || (bt === at && far.k[1]! < near.k[1]!) ? far : near;
  }

  /** Removes `h`'s top if it is cancelled (freeing its id or lane slot); true when it did. */
  private dropCancelledTop(h: Heap): boolean {
    const id = h.k[2]!;
    if (id < 0) {
      if (this.lanes[-1 - id] !== null) return false;
      h.removeTop();
      this.freeLaneSlots.push(-1 - id);
      return true;
    }
    if (this.events[id]!.fn !== null) return false;
    h.removeTop();
    this.events[id] = null;
    this.freeIds.push(id);
    return true;
  }

  private newId(): number {
    const id = this.freeIds.pop();
    return id === undefined ? this.events.length : id;
  }
}
