/**
 * The stepper's position in a run, forward and back. A run is deterministic, so going back is
 * re-executing from the start to an event number; forks (a fault applied by hand at an event)
 * are replayed at the same event and virtual time. While events pass, every breakpoint records
 * which events it hit, so reverse-continue knows its target before it re-executes: one pass.
 * Long commands yield to the event loop now and then so Ctrl-C can stop them.
 */
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import type { RunResult, SimSession } from '../../../scenarios/runner/types.ts';
import type { Ns, TimelineEvent } from '../../../scenarios/schema/types.ts';
import { formatNs } from '../format/units.ts';
import { RecordRanges, type Breakpoint } from './watch.ts';

export interface Stop {
  readonly why: 'hit' | 'time' | 'count' | 'interrupted' | 'end' | 'deadline' | 'empty';
  /** Events run (forward) or gone back (reverse). */
  readonly events: number;
  readonly back?: boolean;
  readonly hit?: TraceRecord;
  readonly by?: Breakpoint;
}

interface Fork {
  readonly pos: number;
  readonly t: Ns;
  readonly ev: TimelineEvent;
}

export interface ForwardOptions {
  readonly maxEvents?: number;
  /** Run every event at or before this time, then stop the clock exactly there. */
  readonly untilNs?: Ns;
  /** Stop after the first event with a record one of these matches. */
  readonly stop?: readonly Breakpoint[];
  readonly each?: (r: TraceRecord) => void;
  /** Do not announce the end of the run (skip-to). */
  readonly quiet?: boolean;
}

interface Spare {
  readonly session: SimSession;
  pos: number;
  readonly ranges: RecordRanges;
}

/** How far behind the current event the checkpoint run waits, and its work per slice. */
const CHECKPOINT_BEHIND = 2000;
const CHECKPOINT_SLICE = 500;
const YIELD_EVERY = 1024;
const YIELD_AFTER_MS = 25;

export class Replayer {
  session: SimSession;
  /** Events run since the start: the current position. */
  pos = 0;
  ended = false;
  interrupted = false;
  readonly breakpoints: Breakpoint[] = [];
  private announced = false;
  /** times[k]: virtual time of event k (times[0] = 0), known up to times.length − 1. */
  private readonly times: Ns[] = [0];
  private readonly forks: Fork[] = [];
  private ranges = new RecordRanges();
  /** A checkpoint: a second run paused a little behind this one (see prepare()). */
  private spare: Spare | undefined;
  private building = false;
  /** A command is running: background work waits. */
  busy = false;
  private readonly hitNow = new Map<Breakpoint, TraceRecord>();
  private lastYield = Date.now();

  constructor(readonly open: () => SimSession, private readonly out: (s: string) => void) {
    this.session = open();
  }

  async forward(o: ForwardOptions): Promise<Stop> {
    const from = this.pos;
    const stop = o.stop ?? [];
    for (const b of stop) if (b.known < 0 && b.id === 0) b.known = this.pos;
    const scan = union(this.breakpoints, stop);
    const search = o.untilNs === undefined && o.maxEvents === undefined;
    const s = this.session;
    const doneAtStart = s.finished?.() ?? false;
    const ran = (): number => this.pos - from;
    for (;;) {
      if (this.interrupted) return { why: 'interrupted', events: ran() };
      if (o.maxEvents !== undefined && ran() >= o.maxEvents) return { why: 'count', events: ran() };
      if (o.untilNs !== undefined) {
        // A session that cannot tell its next event: step until the clock reaches the time.
        const next = s.nextEventTime ? s.nextEventTime() : s.now < o.untilNs ? o.untilNs : Infinity;
        if (next === undefined || next > o.untilNs) {
          if (s.now < o.untilNs) s.advanceTo?.(o.untilNs);
          return { why: 'time', events: ran() };
        }
      }
      if (search && !doneAtStart && s.finished?.()) return { why: 'end', events: ran() };
      if (search && doneAtStart && s.deadlineNs && s.now > s.deadlineNs()) return { why: 'deadline', events: ran() };
      const recs = this.stepOne(scan, !o.quiet);
      if (!recs) return { why: 'empty', events: ran() };
      if (o.each) for (const r of recs) o.each(r);
      for (const b of stop) {
        const hit = this.hitNow.get(b);
        if (hit) return { why: 'hit', events: ran(), hit, by: b };
      }
      if (ran() % YIELD_EVERY === 0) await this.yieldNow();
    }
  }

  /** Back to the previous event one of `bps` hit (before the current one). */
  async reverse(bps: readonly Breakpoint[]): Promise<Stop> {
    const here = this.pos;
    // Breakpoints set after the start have not seen the early events: one pass indexes them.
    if (bps.some((b) => b.known < here - 1)) {
      for (const b of bps) if (b.known < here - 1) { b.known = 0; b.hits = []; }
      await this.goTo(here, bps);
      if (this.interrupted) return { why: 'interrupted', events: 0, back: true };
    }
    let best = -1;
    let by: Breakpoint | undefined;
    for (const b of bps) {
      for (let i = b.hits.length - 1; i >= 0; i--) {
        const h = b.hits[i]!;
        if (h < here) {
          if (h > best) { best = h; by = b; }
          break;
        }
      }
    }
    if (by === undefined) return { why: 'empty', events: 0, back: true };
    await this.goTo(best, [by]);
    const hit = this.hitNow.get(by);
    return { why: this.interrupted ? 'interrupted' : 'hit', events: here - this.pos, back: true, ...(hit ? { hit, by } : {}) };
  }

  /** Re-executes from the start to event `target` (forks after it are dropped). */
  async goTo(target: number, extra: readonly Breakpoint[] = [], beforeNs = Infinity): Promise<void> {
    for (let f = this.forks.at(-1); f && (f.pos > target || (f.pos === target && f.t > beforeNs)); f = this.forks.at(-1)) {
      this.forks.pop();
      this.invalidateAfter(f.pos);
      if (this.spare && this.spare.pos >= f.pos) this.spare = undefined;
    }
    const scan = union(this.breakpoints, extra);
    for (const b of scan) if (b.known < 0) { b.known = 0; b.hits = []; }
    const sp = this.spare;
    // The checkpoint serves when it is not past the target and every index is complete up to it.
    if (sp && sp.pos <= target && scan.every((b) => b.known >= sp.pos)) {
      this.spare = undefined;
      this.session = sp.session;
      this.pos = sp.pos;
      this.ranges = sp.ranges;
      this.ended = false;
      this.announced = sp.session.finished?.() ?? false;
    } else {
      this.session = this.open();
      this.pos = 0;
      this.ended = false;
      this.announced = false;
      this.ranges = new RecordRanges();
      this.applyForks();
    }
    while (this.pos < target && !this.interrupted) {
      if (!this.stepOne(scan, false)) break;
      this.applyForks();
      if (this.pos % YIELD_EVERY === 0) await this.yieldNow();
    }
  }

  /** The last event at or before `t`, then the clock at exactly `t`. */
  async goToTime(t: Ns): Promise<void> {
    let lo = 0;
    let hi = this.times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    await this.goTo(lo, [], t);
    const next = this.session.nextEventTime?.();
    if (this.session.now < t && (next === undefined || next > t)) this.session.advanceTo?.(t);
  }

  fork(ev: TimelineEvent, _label: string): void {
    const inject = this.session.inject?.bind(this.session);
    if (!inject) throw new Error('this runner cannot apply a fault by hand (SimSession.inject is missing)');
    inject(ev);
    this.forks.push({ pos: this.pos, t: this.session.now, ev });
    if (this.spare && this.spare.pos >= this.pos) this.spare = undefined;
    this.invalidateAfter(this.pos);
  }

  /**
   * Checkpointing while the stepper waits for input: keeps a second run of the same scenario
   * paused about CHECKPOINT_BEHIND events behind the current position, so a step back
   * re-executes only from there. Works in slices and stops while a command runs.
   */
  async prepare(): Promise<void> {
    if (this.building) return;
    this.building = true;
    try {
      for (;;) {
        if (this.busy || this.ended) return;
        const want = Math.max(0, this.pos - CHECKPOINT_BEHIND);
        let sp = this.spare;
        if (sp && sp.pos > this.pos) sp = this.spare = undefined;
        if (sp && sp.pos >= want - CHECKPOINT_BEHIND) {
          if (sp.pos >= want) return;
        }
        if (!sp) {
          sp = this.spare = { session: this.open(), pos: 0, ranges: new RecordRanges() };
          this.applySpareForks(sp);
        }
        const stopAt = Math.min(want, sp.pos + CHECKPOINT_SLICE);
        while (sp.pos < stopAt) {
          const recs = sp.session.step();
          if (recs === undefined) return;
          sp.pos++;
          for (const r of recs) sp.ranges.sectors(r);
          this.applySpareForks(sp);
        }
        await new Promise<void>((r) => setImmediate(r));
        if (this.spare !== sp) return;
      }
    } finally {
      this.building = false;
    }
  }

  private applySpareForks(sp: Spare): void {
    for (const f of this.forks) {
      if (f.pos !== sp.pos) continue;
      if (sp.session.now < f.t) sp.session.advanceTo?.(f.t);
      sp.session.inject?.(f.ev);
    }
  }

  /** The records up to the current event that `keep` selects, from a second run of the same events and forks. */
  async collect(keep: (r: TraceRecord) => boolean): Promise<TraceRecord[]> {
    const s = this.open();
    const out: TraceRecord[] = [];
    let pos = 0;
    const forks = (): void => {
      for (const f of this.forks) {
        if (f.pos !== pos) continue;
        if (s.now < f.t) s.advanceTo?.(f.t);
        s.inject?.(f.ev);
      }
    };
    forks();
    while (pos < this.pos && !this.interrupted) {
      const recs = s.step();
      if (recs === undefined) break;
      pos++;
      for (const r of recs) if (keep(r)) out.push(r);
      forks();
      if (pos % YIELD_EVERY === 0) await this.yieldNow();
    }
    return out;
  }

  finish(): RunResult {
    // A second finish of the same session reports the first's result: finishing again would run
    // the end-of-run work (read-back, final records) twice and change the digest.
    if (this.result !== null && this.resultOf === this.session) return this.result;
    const r = this.session.finish();
    this.ended = true;
    this.result = r;
    this.resultOf = this.session;
    return r;
  }
  private result: RunResult | null = null;
  /** The session `result` belongs to (a rewind opens or restores another). */
  private resultOf: unknown = null;

  /** One engine event: records it, indexes breakpoint hits, announces the end of the run once. */
  private stepOne(scan: readonly Breakpoint[], announce: boolean): readonly TraceRecord[] | undefined {
    if (this.ended) return undefined;
    const s = this.session;
    const recs = s.step();
    this.hitNow.clear();
    if (recs === undefined) {
      this.ended = true;
      if (announce) this.out(`simulation ended at ${formatNs(s.now)} (no events left)\n`);
      return undefined;
    }
    const k = ++this.pos;
    if (this.times.length === k) this.times.push(s.now);
    for (const r of recs) {
      if (scan.length > 0) this.ranges.sectors(r);
      for (const b of scan) if (!this.hitNow.has(b) && b.match(r, this.ranges)) this.hitNow.set(b, r);
    }
    for (const b of scan) {
      if (b.known !== k - 1) continue;
      if (this.hitNow.has(b)) b.hits.push(k);
      b.known = k;
    }
    if (!this.announced && s.finished?.()) {
      this.announced = true;
      if (announce) this.out(`-- run complete at ${formatNs(s.now)}, event ${k}: jobs done, timeline applied (\`finish\` prints the verdict) --\n`);
    }
    return recs;
  }

  private applyForks(): void {
    for (const f of this.forks) {
      if (f.pos !== this.pos) continue;
      if (this.session.now < f.t) this.session.advanceTo?.(f.t);
      this.session.inject?.(f.ev);
    }
  }

  /** What was learnt about the run after event `pos` no longer holds (a fork changed it). */
  private invalidateAfter(pos: number): void {
    for (const b of this.breakpoints) {
      if (b.known > pos) b.known = pos;
      b.hits = b.hits.filter((h) => h <= pos);
    }
    if (this.times.length > pos + 1) this.times.length = pos + 1;
  }

  private async yieldNow(): Promise<void> {
    if (Date.now() - this.lastYield < YIELD_AFTER_MS) return;
    await new Promise<void>((r) => setImmediate(r));
    this.lastYield = Date.now();
  }
}

function union(a: readonly Breakpoint[], b: readonly Breakpoint[]): Breakpoint[] {
  return b.length === 0 ? [...a] : [...new Set([...a, ...b])];
}
