import type { Engine } from '../../hw-sim/engine/index.ts';

/** Opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

/**
 * The time source of the net stack. The machine builder hands in the kernel's timers; tests and
 * stand-alone stacks use the engine directly (engineNetClock).
 */
export interface NetClock {
  now(): number;
  schedule(delayNs: number, fn: () => void, label: string): TimerHandle;
  cancel(h: TimerHandle): void;
  /** A timer's callback is about to run (the kernel charges its CPU cost). */
  fired?(): void;
}

export function engineNetClock(engine: Engine): NetClock {
  return new EngineNetClock(engine);
}

// Clocks are classes, not object literals of closures: now() runs several times per segment, and
// an optimised caller then checks one map instead of a closure's feedback cell and context.
class EngineNetClock implements NetClock {
  constructor(private readonly engine: Engine) {}

  now(): number {
    return this.engine.now;
  }

  schedule(delayNs: number, fn: () => void, label: string): TimerHandle {
    return this.engine.schedule(delayNs, fn, label);
  }

  cancel(h: TimerHandle): void {
    this.engine.cancel(h as ReturnType<Engine['schedule']>);
  }
}

/**
 * A timer that is re-armed far more often than it fires (the retransmission timer moves on every
 * ACK). Re-arming later only moves a deadline; the queued event notices and re-queues itself, so
 * the event queue sees one push per firing instead of a cancel + push per ACK.
 */
export class LazyTimer {
  private deadline = -1;
  private handle: TimerHandle = null;
  private handleAt = -1;
  private readonly onEvent = (): void => this.fire();

  constructor(
    private readonly clock: NetClock,
    private readonly fn: () => void,
    private readonly label: string,
  ) {}

  get armed(): boolean {
    return this.deadline >= 0;
  }

  /** Fires `fn` `delayNs` from now, replacing any earlier deadline. */
  arm(delayNs: number): void {
    const at = this.clock.now() + delayNs;
    this.deadline = at;
    if (this.handle !== null && this.handleAt <= at) return;
    if (this.handle !== null) this.clock.cancel(this.handle);
    this.handleAt = at;
    this.handle = this.clock.schedule(delayNs, this.onEvent, this.label);
  }

  /** Disarms; the queued event (if any) stays and does nothing. */
  stop(): void {
    this.deadline = -1;
  }

  /** Disarms and removes the queued event (socket teardown). */
  cancel(): void {
    this.deadline = -1;
    if (this.handle !== null) this.clock.cancel(this.handle);
    this.handle = null;
  }

  private fire(): void {
    this.handle = null;
    if (this.deadline < 0) return;
    const now = this.clock.now();
    if (now < this.deadline) {
      this.handleAt = this.deadline;
      this.handle = this.clock.schedule(this.deadline - now, this.onEvent, this.label);
      return;
    }
    this.deadline = -1;
    this.clock.fired?.();
    this.fn();
  }
}
