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
 * A binary min-heap of events ordered by (time, sequence). The keys live in typed arrays beside
 * the events, so a comparison reads two unboxed numbers from one cache line instead of two
 * fields of two scattered objects; the events move with their keys.
 */
class Heap {
  ts = new Float64Array(32);
  seqs = new Float64Array(32);
  evs: Array<SimEvent | null> = new Array<SimEvent | null>(32).fill(null);
  n = 0;

  push(ev: SimEvent, t: number, seq: number): void {
    if (this.n === this.ts.length) this.grow();
    this.rise(this.n++, ev, t, seq);
  }

  /** Places (ev, t, seq) at free slot `i` or above. */
  private rise(i: number, ev: SimEvent, t: number, seq: number): void {
    const ts = this.ts;
    const seqs = this.seqs;
    const evs = this.evs;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ts[p]!;
      if (pt < t || (pt === t && seqs[p]! < seq)) break;
      ts[i] = pt;
      seqs[i] = seqs[p]!;
      evs[i] = evs[p]!;
      i = p;
    }
    ts[i] = t;
    seqs[i] = seq;
    evs[i] = ev;
  }

  /**
   * Removes the top. The hole left at the top moves down to a leaf along the first-running
   * children (one comparison a level), then the last entry rises from there: it came from the
   * bottom and usually belongs near it, so this costs about half the comparisons of sinking it.
   */
  removeTop(): void {
    const n = --this.n;
    const evs = this.evs;
    const last = evs[n]!;
    evs[n] = null;
    if (n === 0) return;
    const ts = this.ts;
    const seqs = this.seqs;
    const t = ts[n]!;
    const seq = seqs[n]!;
    let i = 0;
    for (let l = 1; l < n; l = 2 * i + 1) {
      let c = l;
      const r = l + 1;
      if (r < n) {
        const lt = ts[l]!;
        const rt = ts[r]!;
        if (rt < lt || (rt === lt && seqs[r]! < seqs[l]!)) c = r;
      }
      ts[i] = ts[c]!;
      seqs[i] = seqs[c]!;
      evs[i] = evs[c]!;
      i = c;
    }
    this.rise(i, last, t, seq);
  }

  /** The top entry's key becomes (t, seq) (a refilled lane record, never earlier): it sinks. */
  sinkTop(t: number, seq: number): void {
    const n = this.n;
    const ts = this.ts;
    const seqs = this.seqs;
    const evs = this.evs;
    const ev = evs[0]!;
    let i = 0;
    for (let l = 1; l < n; l = 2 * i + 1) {
      let c = l;
      let ct = ts[l]!;
      let cs = seqs[l]!;
      const r = l + 1;
      if (r < n) {
        const rt = ts[r]!;
        if (rt < ct || (rt === ct && seqs[r]! < cs)) {
          c = r;
          ct = rt;
          cs = seqs[r]!;
        }
      }
      if (t < ct || (t === ct && seq < cs)) break;
      ts[i] = ct;
      seqs[i] = cs;
      evs[i] = evs[c]!;
      i = c;
    }
    ts[i] = t;
    seqs[i] = seq;
    evs[i] = ev;
  }

  private grow(): void {
    const size = this.ts.length * 2;
    const ts = new Float64Array(size);
    ts.set(this.ts);
    const seqs = new Float64Array(size);
    seqs.set(this.seqs);
    this.ts = ts;
    this.seqs = seqs;
    for (let i = this.evs.length; i < size; i++) this.evs.push(null);
  }
}

/**
 * Min-heaps ordered by (time, insertion sequence): equal times run in the order they were
 * scheduled, which is what makes a run replayable. Two heaps: events due within FAR_NS of the
 * last event run (wire, DMA, interrupts, CPU work) and the rest (retransmission and delayed-ACK
 * timers, watchdogs: most of the pending events, rarely the next). The next event is the lesser
 * of the two tops, so the order is that of one heap; the near heap the hot path works on stays
 * a few levels shallower.
 */
export class EventQueue {
  private near = new Heap();
  private far = new Heap();
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
    const seq = this.nextSeq++;
    const ev: SimEvent = { t, seq, fn, label, lane: null };
    (t - this.lastT > FAR_NS ? this.far : this.near).push(ev, t, seq);
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
    const t = ev.t;
    (t - this.lastT > FAR_NS ? this.far : this.near).push(ev, t, ev.seq);
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
    const evs = this.nextHeap();
    return evs === null ? undefined : evs[0]!;
  }

  pop(): SimEvent | undefined {
    const h = this.next();
    if (h === null) return undefined;
    const ev = h.evs[0]!;
    this.live--;
    h.removeTop();
    return ev;
  }

  /**
   * Takes the next live event to run it, if it is due by `until`: false when none is; otherwise
   * its time and callback are in `runT` and `runFn`. A plain event leaves the heap and is marked
   * done; a lane's record is refilled with the lane's next event and sinks from the top in place.
   */
  advance(until: Ns = Number.POSITIVE_INFINITY): boolean {
    const h = this.next();
    if (h === null) return false;
    const t = h.ts[0]!;
    if (t > until) return false;
    const ev = h.evs[0]!;
    this.runT = t;
    this.runFn = ev.fn!;
    this.live--;
    this.lastT = t;
    if (ev.lane !== null && ev.lane.refill(ev)) h.sinkTop(ev.t, ev.seq);
    else {
      h.removeTop();
      ev.fn = null;
    }
    return true;
  }

  /** The events of the heap whose top (index 0) runs next, or null (the kit's event counter reads it). */
  private nextHeap(): Array<SimEvent | null> | null {
    const h = this.next();
    return h === null ? null : h.evs;
  }

  /** The heap whose top runs next (cancelled tops dropped), or null when nothing is live. */
  private next(): Heap | null {
    const near = this.near;
    const far = this.far;
    while (near.n > 0 && near.evs[0]!.fn === null) near.removeTop();
    while (far.n > 0 && far.evs[0]!.fn === null) far.removeTop();
    if (far.n === 0) return near.n === 0 ? null : near;
    if (near.n === 0) return far;
    const at = near.ts[0]!;
    const bt = far.ts[0]!;
    return bt < at || (bt === at && far.seqs[0]! < near.seqs[0]!) ? far : near;
  }
}
