/**
 * Interrupt controller: numbered lines, mask/unmask, priorities, per-line coalescing and
 * accounting.
 *
 * - `raise(line)` (devices) never calls a handler synchronously: a due line is delivered by a
 *   dispatch event at the current instant, so the raising device finishes its event first.
 * - When several lines are due at one instant, the highest priority is delivered first (ties:
 *   lower line number). A handler that raises another line joins the same dispatch round.
 * - Coalescing `{ maxEvents, maxDelayNs }`: a delivery is due when `maxEvents` raises have
 *   accumulated or `maxDelayNs` has elapsed since the first of them, whichever comes first.
 *   Without coalescing every raise makes the line due (raises at one instant still merge).
 * - Masked line: the first raise latches it pending (`pendingWhileMasked`); further raises while
 *   it is pending are `lost`, as on an edge-triggered line. Unmask delivers a pending line at once.
 *
 * Accounting per line: raised = (sum of events over deliveries) + lost + events still pending;
 * `coalesced` counts raises folded into a delivery besides the first (events − 1 per delivery).
 */
import type { Engine } from '../engine/engine.ts';
import type { EventLane } from '../engine/event-lane.ts';
import { assertNs, type Ns } from '../engine/time.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_LOST = traceShape('irq.lost', ['line']);
const TRACE_PENDING = traceShape('irq.pending', ['line']);
const TRACE_DELIVER = traceShape('irq.deliver', ['line', 'name', 'events']);

/** Called on delivery with the line and the number of raises this delivery covers (≥ 1). */
export type IrqHandler = (line: number, events: number) => void;

export interface IrqCoalescing {
  /** Deliver once this many raises have accumulated (≥ 1). */
  maxEvents: number;
  /** Deliver this long after the first accumulated raise at the latest. */
  maxDelayNs: Ns;
}

export interface IrqLineOptions {
  /** Higher is delivered first when several lines are due at one instant. Default 0. */
  priority?: number;
  /** Omitted: keep what the device programmed; null: off. */
  coalesce?: IrqCoalescing | null;
  /** Name shown in the trace, e.g. `nic0-rx`. */
  name?: string;
}

export interface IrqLineStats {
  raised: number;
  delivered: number;
  coalesced: number;
  pendingWhileMasked: number;
  lost: number;
  /** Deliveries on a line with no handler. */
  spurious: number;
}

interface LineState {
  readonly line: number;
  handler: IrqHandler | null;
  name: string;
  priority: number;
  maxEvents: number;
  maxDelayNs: Ns;
  masked: boolean;
  /** Raises accumulated toward the next delivery. */
  count: number;
  /** Waiting in the dispatch set. */
  due: boolean;
  /**
   * The coalescing deadline: an event lane of its own (made at the line's first deadline), so a
   * deadline is no event record of its own; only a cancelled one makes the lane a new record.
   */
  timer: EventLane | null;
  /** A deadline is posted on `timer`. */
  armed: boolean;
  readonly stats: IrqLineStats;
  readonly onTimer: () => void;
}

export interface InterruptControllerOptions {
  /** Number of lines, 0..lines-1. Default 64. */
  lines?: number;
  /** Device name in the trace. Default `irq`. */
  name?: string;
}

export class InterruptController {
  readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  private readonly lines: LineState[] = [];
  private readonly dueLines: LineState[] = [];
  private dispatchScheduled = false;
  /** Dispatch rounds, always at the current instant (so their times never decrease): one lane. */
  private readonly dispatchLane: EventLane;

  constructor(private readonly engine: Engine, readonly host: string, opts: InterruptControllerOptions = {}) {
    this.src = `${host}/${opts.name ?? 'irq'}`;
    this.traceSrc = traceSource(this.src);
    this.dispatchLane = engine.lane(() => this.dispatch(), 'irq.dispatch');
    const n = opts.lines ?? 64;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.src}: line count must be a positive integer, got ${n}`);
    for (let i = 0; i < n; i++) {
      const s: LineState = {
        line: i, handler: null, name: `irq${i}`, priority: 0, maxEvents: 1, maxDelayNs: 0, masked: false,
        count: 0, due: false, timer: null, armed: false,
        stats: { raised: 0, delivered: 0, coalesced: 0, pendingWhileMasked: 0, lost: 0, spurious: 0 },
        onTimer: () => {
          s.armed = false;
          this.makeDue(s);
        },
      };
      this.lines.push(s);
    }
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Registers the handler of `line` (one per line) with its priority and coalescing. */
  requestLine(line: number, handler: IrqHandler, opts: IrqLineOptions = {}): void {
    const s = this.state(line);
    if (s.handler) throw new Error(`${this.src}: line ${line} (${s.name}) already has a handler`);
    s.handler = handler;
    if (opts.name !== undefined) s.name = opts.name;
    s.priority = opts.priority ?? 0;
    // Coalescing may already be programmed by the device (e.g. a NIC's ethtool -C settings).
    if (opts.coalesce !== undefined) this.setCoalescing(line, opts.coalesce);
  }

  /** Removes the handler; later deliveries on the line count as spurious. */
  freeLine(line: number): void {
    this.state(line).handler = null;
  }

  /** Changes coalescing at any time; null turns it off. */
  setCoalescing(line: number, c: IrqCoalescing | null): void {
    const s = this.state(line);
    if (c) {
      if (!Number.isInteger(c.maxEvents) || c.maxEvents < 1) {
        throw new RangeError(`${this.src}: line ${line} coalescing maxEvents must be an integer ≥ 1, got ${c.maxEvents}`);
      }
      assertNs(c.maxDelayNs, `${this.src}: line ${line} coalescing maxDelayNs`);
    }
    s.maxEvents = c ? c.maxEvents : 1;
    s.maxDelayNs = c ? c.maxDelayNs : 0;
    if (s.count >= s.maxEvents) this.makeDue(s);
  }

  setPriority(line: number, priority: number): void {
    this.state(line).priority = priority;
  }

  /** A device signals the line. */
  raise(line: number): void {
    const s = this.state(line);
    s.stats.raised++;
    // `=== true/false`: a bare truth test of a field compiles to a check for every falsy kind of value.
    if (s.masked === true) {
      if (s.count > 0) {
        s.stats.lost++;
        TRACE_LOST.emit(this.engine.trace, this.traceSrc, line);
      } else {
        s.count = 1;
        s.stats.pendingWhileMasked++;
        TRACE_PENDING.emit(this.engine.trace, this.traceSrc, line);
      }
      return;
    }
    s.count++;
    if (s.count >= s.maxEvents) this.makeDue(s);
    else if (s.count === 1) {
      if (s.timer === null) s.timer = this.engine.lane(s.onTimer, 'irq.coalesce');
      s.timer.post(this.engine.now + s.maxDelayNs);
      s.armed = true;
    }
  }

  mask(line: number): void {
    this.state(line).masked = true;
  }

  /** Unmasks; a pending line is delivered at this instant. */
  unmask(line: number): void {
    const s = this.state(line);
    if (!s.masked) return;
    s.masked = false;
    if (s.count > 0) this.makeDue(s);
  }

  isMasked(line: number): boolean {
    return this.state(line).masked;
  }

  /** Raises accumulated on the line and not yet delivered. */
  pendingEvents(line: number): number {
    return this.state(line).count;
  }

  stats(line: number): Readonly<IrqLineStats> {
    return this.state(line).stats;
  }

  private state(line: number): LineState {
    const s = this.lines[line];
    if (s === undefined) throw new RangeError(`${this.src}: no interrupt line ${line} (lines 0..${this.lines.length - 1})`);
    return s;
  }

  private makeDue(s: LineState): void {
    if (s.armed === true) {
      s.timer!.clear();
      s.armed = false;
    }
    if (s.masked === true || s.due === true) return;
    s.due = true;
    this.dueLines.push(s);
    if (this.dispatchScheduled === false) {
      this.dispatchScheduled = true;
      this.dispatchLane.post(this.engine.now);
    }
  }

  /** Delivers every due line, highest priority first, until none is due. */
  private dispatch(): void {
    const due = this.dueLines;
    while (due.length > 0) {
      let best = 0;
      for (let i = 1; i < due.length; i++) {
        const a = due[i]!;
        const b = due[best]!;
        if (a.priority > b.priority || (a.priority === b.priority && a.line < b.line)) best = i;
      }
      const s = due[best]!;
      due[best] = due[due.length - 1]!;
      due.pop();
      s.due = false;
      if (s.masked || s.count === 0) continue; // masked after it became due: stays pending
      const events = s.count;
      s.count = 0;
      this.deliver(s, events);
    }
    this.dispatchScheduled = false;
  }

  private deliver(s: LineState, events: number): void {
    const st = s.stats;
    st.coalesced += events - 1;
    if (s.handler === null) {
      st.spurious++;
      this.engine.trace.emit(this.src, 'irq.spurious', { line: s.line, events });
      return;
    }
    st.delivered++;
    const tr = this.engine.trace;
    if (tr.enabled === true) TRACE_DELIVER.emit(tr, this.traceSrc, s.line, s.name, events);
    s.handler(s.line, events);
  }
}
