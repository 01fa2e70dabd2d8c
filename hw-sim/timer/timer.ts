/**
 * Timer device: one-shot and periodic timers in virtual time. It is the kernel's only source of
 * time (`now()`), so nothing above hw-sim reads the engine clock directly.
 *
 * A periodic timer fires at start + k·period exactly (no drift); it is re-armed before its
 * callback runs, so the callback may cancel it.
 */
import type { Engine, EventHandle } from '../engine/engine.ts';
import { assertNs, type Ns } from '../engine/time.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_ARM = traceShape('timer.arm', ['id', 'label', 'at', 'period']);
const TRACE_FIRE = traceShape('timer.fire', ['id', 'label']);

export type TimerId = number;
export type TimerCallback = () => void;

interface TimerEntry {
  readonly id: TimerId;
  readonly label: string;
  readonly periodNs: Ns;
  readonly cb: TimerCallback;
  next: Ns;
  handle: EventHandle | null;
  /** Bound once, so a periodic timer allocates nothing per period. */
  run: () => void;
}

export interface TimerStats {
  armed: number;
  fired: number;
  cancelled: number;
}

const noop = (): void => {};

export class TimerDevice {
  readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  private nextId = 1;
  private readonly live = new Map<TimerId, TimerEntry>();
  readonly stats: TimerStats = { armed: 0, fired: 0, cancelled: 0 };

  constructor(private readonly engine: Engine, readonly host: string, name = 'timer') {
    this.src = `${host}/${name}`;
    this.traceSrc = traceSource(this.src);
  }

  /** Current virtual time in ns. */
  now(): Ns {
    return this.engine.now;
  }

  /** Number of timers armed and not yet fired (one-shot) or cancelled. */
  get active(): number {
    return this.live.size;
  }

  /** Fires `cb` once after `delayNs`. */
  arm(delayNs: Ns, cb: TimerCallback, label = ''): TimerId {
    assertNs(delayNs, `${this.src}: delay of timer '${label}'`);
    return this.add(delayNs, 0, cb, label);
  }

  /** Fires `cb` every `periodNs` (> 0), the first time one period from now. */
  armPeriodic(periodNs: Ns, cb: TimerCallback, label = ''): TimerId {
    assertNs(periodNs, `${this.src}: period of timer '${label}'`);
    if (periodNs === 0) throw new RangeError(`${this.src}: period of timer '${label}' must be > 0 ns`);
    return this.add(periodNs, periodNs, cb, label);
  }

  /** Cancels a timer; false when it already fired (one-shot) or was cancelled. */
  cancel(id: TimerId): boolean {
    const e = this.live.get(id);
    if (!e) return false;
    this.live.delete(id);
    this.engine.cancel(e.handle);
    e.handle = null;
    this.stats.cancelled++;
    this.engine.trace.emit(this.src, 'timer.cancel', { id, label: e.label });
    return true;
  }

  /** Absolute time the timer fires next, or undefined when it is not armed. */
  expiry(id: TimerId): Ns | undefined {
    return this.live.get(id)?.next;
  }

  private add(delayNs: Ns, periodNs: Ns, cb: TimerCallback, label: string): TimerId {
    const id = this.nextId++;
    const e: TimerEntry = { id, label, periodNs, cb, next: this.engine.now + delayNs, handle: null, run: noop };
    e.run = () => this.fire(e);
    this.live.set(id, e);
    this.stats.armed++;
    const tr = this.engine.trace;
    if (tr.enabled) TRACE_ARM.emit(tr, this.traceSrc, id, label, e.next, periodNs);
    e.handle = this.engine.scheduleAt(e.next, e.run, label);
    return id;
  }

  private fire(e: TimerEntry): void {
    this.stats.fired++;
    const tr = this.engine.trace;
    if (tr.enabled) TRACE_FIRE.emit(tr, this.traceSrc, e.id, e.label);
    if (e.periodNs > 0) {
      e.next += e.periodNs;
      e.handle = this.engine.scheduleAt(e.next, e.run, e.label);
    } else {
      e.handle = null;
      this.live.delete(e.id);
    }
    e.cb();
  }
}
