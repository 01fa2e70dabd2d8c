/**
 * Running a built world to its end and turning it into a RunResult: jobs, checkers,
 * expectations, faults applied, digest.
 */
import type { Ns } from '../schema/types.ts';
import { checkDevices } from './checks.ts';
import { evaluate, jobResultOf } from './expect.ts';
import type { JobResult, RunResult } from './types.ts';
import type { World } from './world.ts';

/** Steps the engine until the jobs and the timeline are done, `untilNs`, or the deadline. */
export function runWorld(w: World, untilNs?: Ns): void {
  const e = w.engine;
  // Check for the end between events; the workload finishing does not empty the queue (timers).
  let stopAt = untilNs ?? w.deadlineNs();
  for (;;) {
    if (w.finished() && untilNs === undefined) return;
    const next = e.nextEventTime();
    if (next !== undefined && next > stopAt && untilNs === undefined) stopAt = w.deadlineNs();
    if (next === undefined || next > stopAt) {
      if (untilNs !== undefined) e.runUntil(untilNs);
      return;
    }
    e.step();
  }
}

export function resultOf(w: World): RunResult {
  const s = w.scenario;
  const endNs = w.engine.now;
  const jobs: JobResult[] = [];
  for (const wl of w.workloads) for (const j of wl.report().jobs) jobs.push(jobResultOf(j));
  const { safety, liveness, history } = checkDevices(s, w.disks, endNs);
  const dev = w.nbd?.device;
  const device = dev && { state: dev.state, reason: dev.failureReason };
  const nic = w.client.nic.stats;
  const wire = { rx: nic.rx.bytes, tx: nic.tx.bytes };
  const expectations = evaluate(s.expect, jobs, { safety, liveness, history, healsNs: w.timeline.healsNs, device, wire });
  const mgmtErrors = w.timeline.mgmtErrors;
  if (mgmtErrors.length > 0) expectations.push({ name: 'mgmt', ok: false, actual: mgmtErrors[0]!, limit: 'every command succeeds' });
  w.engine.trace.emit('runner', 'run.end', { jobs: jobs.length, ok: expectations.every((x) => x.ok) });
  return {
    scenario: s.name,
    seed: w.seed,
    digest: w.engine.trace.digest(),
    virtualTimeNs: endNs,
    events: w.engine.eventsRun,
    passed: expectations.every((x) => x.ok) && safety.ok && (liveness?.ok ?? true),
    expectations,
    jobs,
    faults: w.timeline.faults,
    safetyViolations: safety.violations,
    livenessViolations: liveness?.violations ?? [],
    mgmt: w.timeline.mgmt,
  };
}
