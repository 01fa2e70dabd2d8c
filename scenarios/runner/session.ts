/**
 * A paused run for the stepper and `mgmt`: one engine event at a time, the state of every
 * statechart (from their trace records), blk-mq queues and tags, in-flight NBD commands by
 * cookie, NIC rings and TCP windows, and management commands at the current point.
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { Scenario } from '../schema/types.ts';
import { runMgmtCommand } from './mgmt.ts';
import { resultOf, runWorld } from './run.ts';
import type { MgmtOutput, RunOptions, SimSession } from './types.ts';
import { buildWorld, type World } from './world.ts';

/** Everything `show` prints, as plain JSON data. */
export function snapshotWorld(w: World, states: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const dev = w.nbd.device;
  const k = w.client.kernel;
  const inflight = dev.io.table.records
    .filter((r) => r.state !== 0)
    .map(scalarFields);
  const nics: Record<string, unknown> = {};
  for (const [name, h] of w.machine.hosts) nics[name] = { tx: { ...h.nic.stats.tx }, rx: { ...h.nic.stats.rx } };
  const tcp: Record<string, unknown> = {};
  for (const [name, h] of w.machine.hosts) {
    for (const s of h.net.connections()) {
      const i = s.info();
      tcp[`${name} ${s.label}`] = { state: i.state, cwnd: i.cwnd, sndWnd: i.sndWnd, rcvWnd: i.rcvWnd, inFlight: i.inFlight, unsent: i.unsent, srttNs: i.srttNs };
    }
  }
  return {
    time: w.engine.now,
    statecharts: Object.fromEntries(states),
    device: { name: dev.opts.name, state: dev.state, reason: dev.failureReason },
    blk: k.stats.snapshot('block'),
    nbdInflight: inflight,
    nics,
    tcp,
  };
}

/** The number and string fields of a record (cookie, cmd, offset, conn, stage times ...), whatever the driver keeps. */
function scalarFields(r: object): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' || typeof v === 'string') out[k] = v;
  return out;
}

export function openSession(scenario: Scenario, seed: number, opts: RunOptions = {}): SimSession {
  const w = buildWorld(scenario, seed, opts);
  const states = new Map<string, unknown>();
  let batch: TraceRecord[] = [];
  w.engine.trace.subscribe((r) => {
    batch.push(r);
    if (r.kind === 'state') states.set(r.src, (r.data as { value?: unknown } | undefined)?.value);
  });
  return {
    get now() { return w.engine.now; },
    get records() { return w.engine.trace.count; },
    step(): readonly TraceRecord[] | undefined {
      batch = [];
      return w.engine.step() ? batch : undefined;
    },
    machines: () => [...states.keys()].sort(),
    show: () => snapshotWorld(w, states),
    mgmt: (argv: readonly string[]): MgmtOutput => runMgmtCommand(w.nbd.device, w.client.kernel, argv),
    finish() {
      runWorld(w, opts.untilNs);
      return resultOf(w);
    },
  };
}
