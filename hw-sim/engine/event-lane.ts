import type { EventQueue, HeapTop, LaneRefill } from './event-queue.ts';
import { assertNs, type Ns } from './time.ts';

/**
 * A series of events of one callback whose times never decrease: a wire direction's arrivals, a
 * DMA channel's completions. Only the earliest is in the engine's heap; the rest wait here as
 * (time, sequence) pairs, their sequence taken when they were posted, so every event runs at
 * exactly the place in the (time, sequence) order a separately scheduled event would have had.
 * A run's order and digest are the same; the heap is smaller (these lanes held most of its
 * events: ~13 of the ~16 per request of a 4 KiB NBD read) and nothing is allocated per event.
 * The lane is its own heap entry (no event record): running one of its events reads the lane only.
 */
export class EventLane implements LaneRefill {
  /** Per ring slot: time and sequence (one array: one check and one base load per access site). */
  private ring = new Float64Array(2 * 16);
  /** Slots in the ring (a power of two). */
  private size = 16;
  /** Waiting behind the queued event: ring slots [head, head + n). */
  private head = 0;
  private n = 0;
  private queued = false;
  private last = 0;
  /** Its slot in the queue's lane table (a new one after a clear while queued). */
  private slot: number;

  /** The callback, run for each event (the queue calls it). */
  fn: () => void;

  constructor(private readonly queue: EventQueue, fn: () => void, private readonly label: string) {
    this.fn = fn;
    this.slot = queue.registerLane(this);
  }

  /** Events posted and not yet run. */
  get length(): number {
    return this.n + (this.queued ? 1 : 0);
  }

  /** Runs the callback at `t`: not in the past, and not before the lane's last event. */
  post(t: Ns): void {
    if (!Number.isSafeInteger(t) || t < this.queue.now || t < this.last) {
      assertNs(t, `time of '${this.label}'`);
      throw new RangeError(`event lane '${this.label}': ${t} ns is before now (${this.queue.now} ns) or its last event (${this.last} ns)`);
    }
    this.last = t;
    const seq = this.queue.reserve();
    // `=== true/false`: a bare truth test of a field compiles to a check for every falsy kind of value.
    if (this.queued === false) {
      this.queued = true;
      this.queue.pushLane(this.slot, t, seq);
      return;
    }
    if (this.n === this.size) this.grow();
    const o = ((this.head + this.n) & (this.size - 1)) << 1;
    const ring = this.ring;
    ring[o] = t;
    ring[o + 1] = seq;
    this.n++;
  }

  /** The lane's callback from now on; only while nothing is posted (a DMA channel bound to a device). */
  retarget(fn: () => void): void {
    if (this.length > 0) throw new Error(`event lane '${this.label}': retargeted with ${this.length} events posted`);
    this.fn = fn;
  }

  /** Drops every posted event (a device reset); returns how many. */
  clear(): number {
    const dropped = this.length;
    if (this.queued) {
      // The cancelled entry stays in the heap until it surfaces: later events need a new slot.
      this.queue.cancelLane(this.slot);
      this.slot = this.queue.registerLane(this);
    }
    this.queue.release(this.n);
    this.head = 0;
    this.n = 0;
    this.queued = false;
    this.last = 0;
    return dropped;
  }

  /** The queue runs this lane's record now: it takes the next waiting event, if any (it stays queued). */
  refill(top: HeapTop): boolean {
    if (this.n === 0) {
      this.queued = false;
      return false;
    }
    const head = this.head;
    this.head = (head + 1) & (this.size - 1);
    this.n--;
    const ring = this.ring;
    top.sinkTop(ring[head << 1]!, ring[(head << 1) + 1]!);
    return true;
  }

  private grow(): void {
    const size = this.size;
    const ring = new Float64Array(4 * size);
    for (let i = 0; i < this.n; i++) {
      const from = ((this.head + i) & (size - 1)) << 1;
      ring[2 * i] = this.ring[from]!;
      ring[2 * i + 1] = this.ring[from + 1]!;
    }
    this.ring = ring;
    this.size = 2 * size;
    this.head = 0;
  }
}
