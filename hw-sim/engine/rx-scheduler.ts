import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Engine, EventHandle } from './engine.ts';
import { NS_PER_MS } from './time.ts';

/** rxjs speaks milliseconds; the engine speaks integer nanoseconds. */
const msToNs = (delayMs: number | undefined): number =>
  delayMs === undefined || delayMs <= 0 ? 0 : Math.round(delayMs * NS_PER_MS);

class EngineAction<T> extends Subscription implements SchedulerAction<T> {
  private handle: EventHandle | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
    private readonly label: string,
  ) {
    super(() => {
      this.engine.cancel(this.handle);
      this.handle = null;
    });
  }

  schedule(state?: T, delay?: number): Subscription {
    if (this.closed) return this;
    this.engine.cancel(this.handle);
    this.handle = this.engine.schedule(msToNs(delay), () => {
      this.handle = null;
      if (!this.closed) this.work.call(this, state);
    }, this.label);
    return this;
  }
}

/**
 * An rxjs scheduler whose clock and timers are the engine's: `delay`, `debounceTime`, `timeout`,
 * `interval` given this scheduler run in virtual time and leave no real timer behind.
 * Not VirtualTimeScheduler (re-sorts its queue on every schedule) nor TestScheduler (patches globals).
 */
export class EngineScheduler implements SchedulerLike {
  constructor(private readonly engine: Engine, private readonly label = 'rx') {}

  /** Virtual time in milliseconds (fractional), the unit rxjs operators expect. */
  now(): number {
    return this.engine.now / NS_PER_MS;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return new EngineAction<T>(this.engine, work, this.label).schedule(state, delay);
  }
}
