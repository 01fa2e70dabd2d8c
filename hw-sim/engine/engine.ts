import { Bugs, NO_BUGS } from './bugs.ts';
import { EventLane } from './event-lane.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';
import { RngStreams } from './rng.ts';
import { assertNs, type Ns } from './time.ts';
import { TraceBus } from './trace.ts';

export type EventHandle = SimEvent;

export interface EngineOptions {
  seed: number | string;
  /** Trace records on (default) or off (benchmarks). */
  trace?: boolean;
  /** Injected bugs (test-only, see bugs.ts); none by default. */
  bugs?: Bugs;
}

/**
 * The simulation engine: virtual time, the event queue, the seeded RNG streams and the trace bus.
 * Everything on the simulation path reads time from here and schedules work here; one event runs
 * to completion before the next is popped.
 */
export class Engine {
  /** Keeps the time and runs the events (its run loop is the engine's). */
  private readonly queue = new EventQueue();
  readonly rng: RngStreams;
  readonly trace: TraceBus;
  /** The injected bugs of this run: any layer asks `engine.bugs.has(name)`. */
  readonly bugs: Bugs;

  constructor(opts: EngineOptions) {
    this.bugs = opts.bugs ?? NO_BUGS;
    this.rng = new RngStreams(opts.seed);
    this.trace = new TraceBus(() => this.queue.now);
    this.trace.enabled = opts.trace ?? true;
  }

  get seed(): number | string {
    return this.rng.seed;
  }

  /** Current virtual time in ns. */
  get now(): Ns {
    return this.queue.now;
  }

  /** Events executed so far. */
  get eventsRun(): number {
    return this.queue.executed;
  }

  /** Live events still waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Time of the next live event, or undefined when idle. */
  nextEventTime(): Ns | undefined {
    return this.queue.peekTime();
  }

  /** Runs `fn` after `delay` ns of virtual time. */
  schedule(delay: Ns, fn: () => void, label = ''): EventHandle {
    if (!(delay >= 0) || !Number.isSafeInteger(delay)) assertNs(delay, `delay of '${label}'`);
    return this.queue.push(this.queue.now + delay, fn, label);
  }

  /** Runs `fn` at absolute virtual time `t` (not in the past). */
  scheduleAt(t: Ns, fn: () => void, label = ''): EventHandle {
    // Checked inline so the error message is built only when it is needed (hot path).
    if (!Number.isSafeInteger(t) || t < this.queue.now) {
      assertNs(t, `time of '${label}'`);
      throw new RangeError(`cannot schedule '${label}' at ${t} ns: it is already ${this.queue.now} ns`);
    }
    return this.queue.push(t, fn, label);
  }

  /**
   * A lane for a series of events of `fn` whose times never decrease (a wire direction, a DMA
   * channel): `lane.post(t)` is scheduleAt(t, fn) without a handle or an allocation.
   */
  lane(fn: () => void, label = ''): EventLane {
    return new EventLane(this.queue, fn, label);
  }

  /** Cancels a pending event; false if it already ran or was cancelled. */
  cancel(h: EventHandle | undefined | null): boolean {
    return h ? this.queue.cancel(h) : false;
  }

  /** Runs exactly one event. Returns false when no event is left. */
  step(): boolean {
    return this.queue.run(Number.POSITIVE_INFINITY, 1) === 1;
  }

  /** Runs every event with time ≤ `t`, then sets the clock to `t` (unless stopped). */
  runUntil(t: Ns): void {
    assertNs(t, 'runUntil time');
    const q = this.queue;
    q.run(t, Number.POSITIVE_INFINITY);
    if (q.stopped === false && t > q.now) q.now = t;
  }

  /** Runs until the queue is empty, `stop()` is called, or `maxEvents` have run. */
  run(maxEvents = Number.POSITIVE_INFINITY): number {
    return this.queue.run(Number.POSITIVE_INFINITY, maxEvents);
  }

  /** Makes the current run()/runUntil() return after the event in progress. */
  stop(): void {
    this.queue.stop();
  }
}
