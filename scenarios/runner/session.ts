/**
 * A paused run for the stepper and `mgmt`: one engine event at a time, the state of every
 * statechart, blk-mq queues and tags, in-flight NBD commands by cookie, NIC rings and TCP
 * windows (show.ts), and management commands at the current point.
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { Scenario } from '../schema/types.ts';
import { formatNsExact } from '../checkers/units.ts';
import { runDeviceMgmt } from './mgmt.ts';
import { resultOf, runWorldSafely } from './run.ts';
import { snapshotWorld, statechartsOf, viewWorld } from './show.ts';
import type { MgmtOutput, RunOptions, SimSession } from './types.ts';
import { buildWorld } from './world.ts';

export function openSession(scenario: Scenario, seed: number, opts: RunOptions = {}): SimSession {
  // Subscribed before the world is built, so the states actors enter while it is built
  // (the device, its first connections) are known from time 0.
  const traced = new Map<string, unknown>();
  let batch: TraceRecord[] = [];
  const outer = opts.onTrace;
  const onTrace = (r: TraceRecord): void => {
    batch.push(r);
    if (r.kind === 'state') traced.set(r.src, (r.data as { value?: unknown } | undefined)?.value);
    outer?.(r);
  };
  const w = buildWorld(scenario, seed, { ...opts, onTrace });
  return {
    get now() { return w.engine.now; },
    get records() { return w.engine.trace.count; },
    step(): readonly TraceRecord[] | undefined {
      batch = [];
      return w.engine.step() ? batch : undefined;
    },
    machines: () => [...statechartsOf(w, traced).keys()],
    show: () => snapshotWorld(w, traced),
    view: () => viewWorld(w, traced),
    // A leading device name (`nbd1 nbd-server-info`) picks the device; else the first.
    mgmt: (argv: readonly string[]): MgmtOutput => runDeviceMgmt(w.nbds, w.client.kernel, argv),
    nextEventTime: () => w.engine.nextEventTime(),
    advanceTo(t) {
      const next = w.engine.nextEventTime();
      if (next !== undefined && next <= t) throw new Error(`advanceTo: an event is pending at ${formatNsExact(next)}, before ${formatNsExact(t)}`);
      w.engine.runUntil(t);
    },
    finished: () => w.finished(),
    deadlineNs: () => w.deadlineNs(),
    inject: (ev) => w.timeline.inject(ev),
    finish() {
      runWorldSafely(w, opts.untilNs);
      return resultOf(w);
    },
  };
}
