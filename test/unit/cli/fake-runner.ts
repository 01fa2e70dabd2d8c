/**
 * A stand-in simulator for the CLI tests: a tiny deterministic run on the real engine (seeded
 * RNG, trace bus, digest) whose verdict the scenario's description controls:
 *   "fail-seeds=3,5"   those seeds fail an expectation and report a safety violation
 *   "throw-seeds=9"    those seeds throw from inside the simulation
 *   "nondeterministic" each run differs from the last (a module-level counter leaks in)
 * and the fault injection "drop-acked-write" makes every seed fail.
 */
import { Engine } from '../../../hw-sim/engine/engine.ts';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import type { RunOptions, RunResult, Runner, SimSession } from '../../../scenarios/runner/types.ts';
import type { Scenario } from '../../../scenarios/schema/types.ts';

let leak = 0;

function seedsIn(desc: string, key: string): number[] {
  const m = new RegExp(`${key}=([0-9,]+)`).exec(desc);
  return m ? m[1]!.split(',').map(Number) : [];
}

/** A minimal IPv4/UDP packet 10.0.0.1:5000 → 10.0.0.2:10809 (checksum filled in). */
export function ipv4Udp(payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(28 + payload.length);
  const dv = new DataView(p.buffer);
  dv.setUint8(0, 0x45);
  dv.setUint16(2, p.length);
  dv.setUint8(8, 64);
  dv.setUint8(9, 17);
  dv.setUint32(12, 0x0a000001);
  dv.setUint32(16, 0x0a000002);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(10, ~sum & 0xffff);
  dv.setUint16(20, 5000);
  dv.setUint16(22, 10809);
  dv.setUint16(24, 8 + payload.length);
  p.set(payload, 28);
  return p;
}

const DEVICE = 'client/nbd0/device';

/** Builds the fake machine on an engine: a device statechart, requests, timeline faults. */
function build(s: Scenario, seed: number, opts: RunOptions, latencies: number[]): Engine {
  const e = new Engine({ seed });
  if (opts.onTrace) e.trace.subscribe(opts.onTrace);
  const rng = e.rng.get('client/fake/latency');
  e.schedule(0, () => e.trace.emit(DEVICE, 'state', { value: 'connecting', event: 'start' }), 'boot');
  e.schedule(500, () => e.trace.emit('nbd0/conn0', 'state', { value: 'transmission', event: 'connected' }), 'conn');
  e.schedule(1000, () => e.trace.emit(DEVICE, 'state', { value: 'ready', event: 'connected' }), 'ready');
  const drift = s.description.includes('nondeterministic') ? leak++ : 0;
  let rq = 0;
  for (const job of s.jobs) {
    const n = Math.min(job.ios ?? 20, 50);
    for (let i = 0; i < n; i++) {
      const id = rq++;
      const at = 2000 + i * 500 + drift;
      e.scheduleAt(at, () => {
        e.trace.emit('client/nbd0', 'rq.queue', { rq: id, op: i % 2 === 0 ? 'read' : 'write', sector: i * 8 });
        const packet = ipv4Udp(new Uint8Array([id & 255, 1, 2, 3]));
        e.trace.emit('client/nic0', 'nic.tx', { bytes: packet.length, wire: Buffer.from(packet).toString('hex') });
        opts.onPacket?.(e.now, packet);
        const lat = 10_000 + rng.int(5000);
        latencies.push(lat);
        e.schedule(lat, () => e.trace.emit('client/nbd0', 'rq.complete', { rq: id, err: 0 }), 'complete');
      }, 'queue');
    }
  }
  for (const ev of s.timeline) e.scheduleAt(ev.atNs, () => e.trace.emit('scenario/timeline', 'fault', { action: ev.action }), 'fault');
  return e;
}

function result(s: Scenario, seed: number, e: Engine, latencies: number[], opts: RunOptions = {}): RunResult {
  if (seedsIn(s.description, 'throw-seeds').includes(seed)) throw new Error(`fake simulator bug at seed ${seed}`);
  const fail = seedsIn(s.description, 'fail-seeds').includes(seed) || opts.faultInjection === 'drop-acked-write';
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  const expectations = [
    { name: 'latency.read.p99', ok: !fail, actual: fail ? 20_000_000 : p99, limit: 10_000_000, unit: 'ns' },
    { name: 'safety', ok: !fail, actual: fail ? 1 : 0, limit: 0, unit: 'blocks' },
  ];
  return {
    scenario: s.name,
    seed,
    digest: e.trace.digest(),
    virtualTimeNs: e.now,
    events: e.eventsRun,
    passed: !fail,
    expectations,
    jobs: s.jobs.map((j) => ({
      name: j.name, ios: latencies.length, errors: 0, iops: 40_000, bandwidthBytesPerSec: 1.31e9 / 8,
      latency: { read: { count: latencies.length, percentiles: { p50: sorted[sorted.length >> 1] ?? 0, p99, 'p99.9': p99 } } },
    })),
    faults: s.timeline.map((ev) => ({ atNs: ev.atNs, description: ev.action })),
    safetyViolations: fail
      ? [{ kind: 'stale-read', block: 7, readId: 3, readIssuedNs: 40, readCompletedNs: 50, seen: 11, allowed: [], overwrittenBy: undefined, crashNs: undefined, message: 'block 7: read #3 returned stale data' }]
      : [],
    livenessViolations: [],
    mgmt: [],
  };
}

function mgmt(argv: readonly string[]) {
  if (argv[0] !== 'nbd-connection-info') throw new Error(`unknown management command ${argv[0]}`);
  return { command: argv, data: [{ conn: 0, server: 'a', state: 'transmission' }], table: { columns: ['conn', 'server', 'state'], rows: [[0, 'a', 'transmission']] } };
}

export const runner: Runner = {
  faultInjections: ['drop-acked-write'],
  runScenario(s, seed, opts = {}) {
    const latencies: number[] = [];
    const e = build(s, seed, opts, latencies);
    if (opts.untilNs !== undefined) e.runUntil(opts.untilNs);
    else e.run();
    return result(s, seed, e, latencies, opts);
  },
  openSession(s, seed): SimSession {
    const latencies: number[] = [];
    let batch: TraceRecord[] = [];
    const e = build(s, seed, { onTrace: (r) => batch.push(r) }, latencies);
    let state = 'unconfigured';
    e.trace.subscribe((r) => { if (r.kind === 'state') state = String(r.data?.['value']); });
    return {
      get now() { return e.now; },
      get records() { return e.trace.count; },
      step() {
        batch = [];
        return e.step() ? batch : undefined;
      },
      machines: () => [DEVICE],
      show: () => ({ statecharts: { [DEVICE]: state }, blkmq: { nbd0: { tags: 32, inflight: 0 } } }),
      mgmt,
      finish() {
        e.run();
        return result(s, seed, e, latencies);
      },
    };
  },
};
