/**
 * Running a built world to its end and turning it into a RunResult: jobs, checkers,
 * expectations, faults applied, digest.
 */
import { mirrorVerdict } from './mirror-check.ts';
import { cacheExpectations } from './cache-summary.ts';
import { deviceSummaries } from './device-summary.ts';
import type { Ns } from '../schema/types.ts';
import { formatByteRange, formatNs } from '../checkers/units.ts';
import { checkDevices } from './checks.ts';
import { cpuBusyVerdict, iopsMaxVerdict } from './cpu-busy.ts';
import { evaluate, jobResultOf } from './expect.ts';
import type { ExpectationResult, JobResult, RunResult } from './types.ts';
import type { World } from './world.ts';
import { isRamDevice } from '../schema/workload.ts';
import { wireCommandVerdicts, type WireTally } from '../checkers/wire-commands.ts';
import type { SafetyReport } from '../checkers/safety.ts';

/**
 * Steps the engine until the jobs and the timeline are done, `untilNs`, or the deadline. A run
 * that reaches its deadline first (nothing left to do, or the next event lies past it) is
 * stalled: the clock is advanced to the deadline, so what is still in flight has had its full
 * time and counts against liveness.
 */
export function runWorld(w: World, untilNs?: Ns): void {
  const e = w.engine;
  if (untilNs !== undefined) {
    // Nothing to check between events: the engine's own loop (no finished() and no peek per event).
    e.runUntil(untilNs);
    w.end = 'until';
    return;
  }
  // Check for the end between events; the workload finishing does not empty the queue (timers).
  let stopAt = w.deadlineNs();
  for (;;) {
    if (w.finished()) { w.end = 'finished'; return; }
    const next = e.nextEventTime();
    if (next !== undefined && next > stopAt) stopAt = w.deadlineNs();
    if (next === undefined || next > stopAt) {
      e.runUntil(stopAt);
      w.end = 'stalled';
      return;
    }
    e.step();
  }
}

/** runWorld, with a simulator exception caught into the world (reported as a failed run). */
export function runWorldSafely(w: World, untilNs?: Ns): void {
  try {
    runWorld(w, untilNs);
  } catch (err) {
    w.end = 'threw';
    w.error = err instanceof Error ? `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(err);
  }
}

export function resultOf(w: World): RunResult {
  const s = w.scenario;
  const endNs = w.engine.now;
  const jobs: JobResult[] = [];
  const deviceOf = new Map(s.jobs.map((j) => [j.name, j.device]));
  for (const wl of w.workloads) for (const j of wl.report().jobs) jobs.push({ ...jobResultOf(j), device: deviceOf.get(j.name) });
  const { safety, liveness, history } = checkDevices(s, w.disks, endNs, w.end === 'stalled' || w.end === 'threw');
  // One verdict per NBD device (device.nbdN with several): a failed nbd1 fails the run too.
  const devices = deviceSummaries(w);
  const outcomes = [...w.nbds].map(([name, n]) => ({ name, state: n.device.state, reason: n.device.failureReason }));
  const nic = w.client.nic.stats;
  const wire = { rx: nic.rx.bytes, tx: nic.tx.bytes };
  // A run cut at --until has jobs still running by design: no jobs verdict then.
  const cut = w.end === 'until';
  const failovers = [...w.nbds].flatMap(([name, n]) => n.device.failover.times.map((ns) => ({ device: name, ns })));
  const expectations = evaluate(s.expect, jobs, {
    safety, liveness, history, healsNs: w.timeline.healsNs, devices: outcomes, wire, network: w.network?.histogram.summary(), submission: w.submission?.histogram.summary(), failoversNs: failovers.map((f) => f.ns),
  })
    .filter((x) => !(cut && x.name === 'jobs'));
  const mgmtErrors = w.timeline.mgmtErrors;
  if (mgmtErrors.length > 0) expectations.push({ name: 'mgmt', ok: false, actual: mgmtErrors[0]!, limit: 'every command succeeds' });
  const end = endVerdict(w, history.ops.filter((op) => op.completedNs === undefined).length);
  if (end) expectations.unshift(end);
  const readBack = readBackVerdict(w);
  if (readBack) expectations.push(readBack);
  expectations.push(...cacheExpectations(s.expect, devices));
  const acks = w.scenario.servers.length > 0 ? w.serverAcks?.report() : undefined;
  if (acks) {
    const actual = acks.ok ? `${acks.checked} acks in order` : acks.violations[0]!.message;
    expectations.push({ name: 'server-acks', ok: acks.ok, actual, limit: 'no write, trim or flush acknowledged before the server\'s disk completed it; FUA kept' });
  }
  // Shown only when the server's disk failed requests (the check has something to say).
  const kinds = w.errorKinds?.seen ? w.errorKinds.report() : undefined;
  if (kinds) {
    expectations.push({ name: 'error-kinds', ok: kinds.ok, actual: kinds.ok ? `${kinds.checked} disk errors kept their kind` : kinds.violations[0]!.message, limit: 'a request the disk failed fails with the disk\'s error (ENOSPC as ENOSPC)' });
  }
  const flushOrder = flushOrderVerdict(w);
  if (flushOrder) expectations.push(flushOrder);
  if (s.expect.crashLoss === true) expectations.push(crashLossVerdict(w));
  if (s.expect.cpuBusy !== undefined) expectations.push(cpuBusyVerdict(w.client.hw.cpu, endNs, s.expect.cpuBusy));
  if (s.expect.iopsMax !== undefined) expectations.push(iopsMaxVerdict(jobs, s.expect.iopsMax));
  if (s.expect.corruptedReads === true) expectations.push(corruptedReadsVerdict(safety));
  if (s.expect.mirrorInSync === true) expectations.push(mirrorVerdict(w));
  if (w.backupStandby) expectations.push(w.backupStandby.verdict());
  if (s.expect.cleanTransport === true) expectations.push(transportVerdict(w, acks?.serverProtocolErrors ?? 0));
  if (s.expect.wireCommands) expectations.push(...wireCommandVerdicts(s.expect, wireTally(w)));
  w.engine.trace.emit('runner', 'run.end', { jobs: jobs.length, ok: expectations.every((x) => x.ok) });
  return {
    scenario: s.name,
    seed: w.seed,
    digest: w.engine.trace.digest(),
    virtualTimeNs: endNs,
    events: w.engine.eventsRun,
    ...(devices.length > 0 ? { devices } : {}),
    ...(failovers.length > 0 ? { failovers } : {}),
    // corrupted_reads: the violations are what the run must show (its own expectation says so).
    passed: expectations.every((x) => x.ok) && (safety.ok || s.expect.corruptedReads === true) && (liveness?.ok ?? true),
    expectations,
    jobs,
    faults: w.timeline.faults,
    safetyViolations: safety.violations,
    livenessViolations: liveness?.violations ?? [],
    mgmt: w.timeline.mgmt,
  };
}

/**
 * `read-back`: after verify jobs every written block is read once more after the last heal; each
 * of those reads must succeed (safety checks what they saw), or nothing was verified.
 */
function readBackVerdict(w: World): ExpectationResult | undefined {
  if (w.readBacks.size === 0) return undefined;
  // The tap keeps every failed request, so failed read-back reads are all in its history.
  const failed: string[] = [];
  for (const [device, startNs] of w.readBacks) {
    for (const op of w.disks.get(device)!.history().ops) {
      if (op.kind !== 'read' || op.issuedNs < startNs || op.ok) continue;
      failed.push(`${device} ${formatByteRange(op.offset, op.length)}: ${String(op.errno ?? 'in flight')}`);
    }
  }
  const actual = failed.length === 0 ? 'all reads ok' : `${failed.length} failed (first ${failed[0]!})`;
  return { name: 'read-back', ok: failed.length === 0, actual, limit: 'every read-back read succeeds' };
}

/**
 * `flush-order` (scenarios/checkers/flush-order.ts): no FLUSH acknowledged while a write the
 * driver took before it is unanswered. Shown when the driver took some FLUSH behind writes in
 * flight (the check had work) or when it failed.
 */
function flushOrderVerdict(w: World): ExpectationResult | undefined {
  let checked = 0;
  let behind = 0;
  let bad = 0;
  let first: string | undefined;
  for (const [device, tap] of w.disks) {
    const r = tap.flushOrder.report();
    checked += r.checked;
    behind += r.behindWrites;
    bad += tap.flushOrder.violationTotal;
    if (r.violations[0]) first ??= `${device}: ${r.violations[0].message}`;
  }
  if (bad === 0 && behind === 0) return undefined;
  return {
    name: 'flush-order', ok: bad === 0, limit: 'a FLUSH completes only after every write the driver took before it is acknowledged',
    actual: bad === 0 ? `${checked} flushes in order (${behind} behind writes in flight)` : `${bad} flushes overtook earlier writes (first: ${first!})`,
  };
}

/** `crash_loss`: some server crash of the run really rolled back acknowledged, unflushed data. */
function crashLossVerdict(w: World): ExpectationResult {
  let lost = 0;
  let checked = 0;
  let example: string | undefined;
  for (const c of w.crashLoss.values()) {
    const r = c.report();
    lost += r.blocksLost;
    checked += r.blocksChecked;
    example ??= r.example;
  }
  return {
    name: 'crash_loss', ok: lost > 0, limit: 'a crash drops some acknowledged, unflushed write',
    actual: lost > 0 ? `${lost} of ${checked} blocks rolled back (${example!})` : `none of ${checked} blocks read after a crash lost its acknowledged content`,
  };
}

/** The servers' wire counters, and the bios the client's NBD devices were submitted. */
function wireTally(w: World): WireTally {
  let commands = 0;
  let fuaWrites = 0;
  let writeZeroes = 0;
  for (const p of w.servers.values()) {
    commands += p.server.wire.commands;
    fuaWrites += p.server.wire.fuaWrites;
    writeZeroes += p.server.wire.writeZeroes;
  }
  const st = w.client.kernel.stats;
  let bios = 0;
  for (const dev of w.disks.keys()) {
    if (isRamDevice(dev)) continue;
    for (const path of st.list(`block/${dev}/cpu`)) {
      const v = st.read(path);
      if (path.endsWith('/submitted') && typeof v === 'number') bios += v;
    }
  }
  return { commands, fuaWrites, writeZeroes, bios };
}

/** `corrupted_reads`: the safety checker saw reads of content no write put there (checksums off under faults below TCP). */
function corruptedReadsVerdict(safety: SafetyReport): ExpectationResult {
  const bad = safety.violations.filter((v) => v.kind === 'unknown-content');
  return {
    name: 'corrupted_reads', ok: bad.length > 0, limit: 'some read returns data no write put there',
    actual: bad.length > 0 ? `${bad.length} blocks read corrupted (first: ${bad[0]!.message})` : `none of ${safety.blocksChecked} blocks read`,
  };
}

/**
 * `clean_transport`: faults that only slow the server or the link must not cost a protocol error
 * (client or server side), a transport error, a request timeout or a reconnect.
 */
function transportVerdict(w: World, serverProtocolErrors: number): ExpectationResult {
  const st = w.client.kernel.stats;
  const num = (path: string): number => { const v = st.read(path); return typeof v === 'number' ? v : 0; };
  const counts: [string, number][] = [['server protocol errors', serverProtocolErrors]];
  for (const dev of w.disks.keys()) {
    if (isRamDevice(dev)) continue;
    for (const c of ['protocol', 'transport', 'timeout'] as const) counts.push([`${dev} ${c} errors`, num(`block/${dev}/errors/${c}`)]);
    let reconnects = 0;
    for (const path of st.list(`block/${dev}/conn`)) if (path.endsWith('/reconnects')) reconnects += num(path);
    counts.push([`${dev} reconnects`, reconnects]);
  }
  const bad = counts.filter(([, n]) => n > 0);
  return {
    name: 'clean_transport', ok: bad.length === 0, limit: 'no protocol error, transport error, timeout or reconnect',
    actual: bad.length === 0 ? 'none' : bad.map(([what, n]) => `${n} ${what}`).join(', '),
  };
}

/** What a run that threw reports when even its checkers cannot run over the broken state. */
export function thrownResult(w: World, err: unknown): RunResult {
  const msg = `${w.error ?? ''}${w.error ? '; then checking threw: ' : ''}${err instanceof Error ? err.message : String(err)}`;
  return {
    scenario: w.scenario.name, seed: w.seed, digest: w.engine.trace.digest(), virtualTimeNs: w.engine.now, events: w.engine.eventsRun,
    passed: false, expectations: [{ name: 'exception', ok: false, actual: msg, limit: 'the simulation runs to its end' }],
    jobs: [], faults: w.timeline.faults, safetyViolations: [], livenessViolations: [], mgmt: w.timeline.mgmt,
  };
}

/** A run that stalled or threw never passes, whatever else was measured. */
function endVerdict(w: World, inFlight: number): ExpectationResult | undefined {
  if (w.end === 'threw') return { name: 'exception', ok: false, actual: w.error ?? 'unknown error', limit: 'the simulation runs to its end' };
  if (w.end === 'stalled') {
    return {
      name: 'stalled', ok: false, limit: 'jobs and timeline done by the deadline',
      actual: `${inFlight} request(s) in flight at the deadline ${formatNs(w.engine.now)}`,
    };
  }
  return undefined;
}
