/**
 * `run --progress`: the run driven event by event through a SimSession, in slices of wall time,
 * so it can show how far it got (virtual time, events/s) and stop on Ctrl-C with a partial
 * summary. Same options, so the same run and digest as runScenario. Wall time is fine here (tools).
 */
import type { RunOptions, Runner, RunResult } from '../../scenarios/runner/types.ts';
import type { Scenario } from '../../scenarios/schema/types.ts';
import { REPORT_OPS, ReportCollector } from '../report/collect.ts';
import type { CliIo } from './context.ts';
import { renderTable } from './format/table.ts';
import { formatCount, formatNs } from './format/units.ts';

export interface LiveOptions {
  readonly io: CliIo;
  /** Draw progress: 'always' (--progress), 'long' (a terminal: once the run has taken 2 s), 'never'. */
  readonly show: 'always' | 'long' | 'never';
  /** Aborted by Ctrl-C (the CLI wires SIGINT to it). */
  readonly signal: AbortSignal;
}

export type LiveOutcome = { readonly result: RunResult } | { readonly interrupted: string };

const SLICE_MS = 50;
const DRAW_EVERY_MS = 500;
const LONG_MS = 2000;

/** Runs a seed through a session; the partial summary text when interrupted. */
export async function runLive(runner: Runner, s: Scenario, seed: number, opts: RunOptions, o: LiveOptions): Promise<LiveOutcome> {
  const seen = new ReportCollector();
  const outer = opts.onTrace;
  const session = runner.openSession!(s, seed, { ...opts, onTrace: (r) => { seen.record(r); outer?.(r); } });
  const started = Date.now();
  let events = 0;
  // --progress draws from the first slice; a terminal's default waits until the run is long.
  let lastDraw = o.show === 'always' ? -DRAW_EVERY_MS : 0;
  let drawn = false;
  const draw = (final: boolean) => {
    const wall = Date.now() - started;
    if (o.show === 'never' || (o.show === 'long' && wall < LONG_MS)) return;
    if (!final && wall - lastDraw < DRAW_EVERY_MS) return;
    lastDraw = wall;
    const line = `virtual time ${formatNs(session.now)}  events ${formatCount(events)}  ${formatCount(events / Math.max(wall / 1000, 0.001))} events/s  requests ${seen.doneNs.length}`;
    if (o.io.isTTY) o.io.stderr(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else o.io.stderr(`${line}\n`);
    drawn = true;
  };
  const deadline = session.deadlineNs?.() ?? Number.POSITIVE_INFINITY;
  const until = opts.untilNs ?? Number.POSITIVE_INFINITY;
  for (;;) {
    const sliceEnd = Date.now() + SLICE_MS;
    let more = true;
    while (Date.now() < sliceEnd) {
      let k = 0;
      for (; k < 1024; k++) {
        const next = session.nextEventTime?.();
        if (session.finished?.() || next === undefined || next > deadline || next > until) {
          more = false;
          break;
        }
        session.step();
        events++;
      }
      if (!more) break;
    }
    draw(false);
    if (!more) break;
    // Between slices the event loop runs, so a Ctrl-C arrives.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (o.signal.aborted) {
      if (drawn && o.io.isTTY) o.io.stderr('\n');
      return { interrupted: partialSummary(seen, session.now, events, Date.now() - started) };
    }
  }
  if (drawn || o.show === 'always') draw(true);
  return { result: session.finish() };
}

/** What the run had done when it was stopped: no expectation is checked on half a run. */
function partialSummary(c: ReportCollector, nowNs: number, events: number, wallMs: number): string {
  let out = `interrupted at virtual time ${formatNs(nowNs)} after ${formatCount(events)} events (${(wallMs / 1000).toFixed(1)} s wall); the run did not finish, so no expectation was checked\n`;
  const lat = c.latencyNs.view();
  const op = c.op.view();
  const rows = REPORT_OPS.map((name, k) => {
    const v = Float64Array.from(lat.filter((_, i) => op[i] === k)).sort();
    if (v.length === 0) return undefined;
    const q = (p: number) => formatNs(Math.round(v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)]!));
    return [name, v.length, q(0.5), q(0.99), formatNs(Math.round(v[v.length - 1]!))];
  }).filter((r) => r !== undefined);
  out += rows.length === 0 ? '\nno request completed yet\n' : `\nrequests completed so far\n${renderTable(['op', 'requests', 'p50', 'p99', 'max'], rows)}`;
  if (c.marks.length > 0) out += `\ntimeline so far\n${renderTable(['at', 'event'], c.marks.map((m) => [formatNs(m.atNs), m.label]))}`;
  return out;
}
