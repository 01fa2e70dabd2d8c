/**
 * The seam between the orion-sim CLI (tools/cli) and the simulator: the CLI validates input,
 * formats output and runs seeds in parallel; a Runner builds the machine from a Scenario, runs
 * it on the engine with one seed and checks the expectations. The lead plugs the real runner in
 * by exporting `runner: Runner` from scenarios/runner/index.ts.
 *
 * Everything here is synchronous and deterministic: same scenario + seed + options ⇒ same
 * RunResult and digest.
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { LivenessViolation } from '../checkers/liveness.ts';
import type { SafetyViolation } from '../checkers/safety.ts';
import type { LatencyOp, Ns, Percentile, Scenario, TimelineEvent } from '../schema/types.ts';

export interface RunOptions {
  /**
   * Trace records on (default). Off for benchmarks: no records, so no onTrace calls, no digest
   * worth comparing, and the server programs skip their per-request records.
   */
  readonly trace?: boolean;
  /** Stop at this virtual time even if jobs are still running. */
  readonly untilNs?: Ns;
  /** Every trace record, in order (for --trace FILE and --check-determinism). */
  readonly onTrace?: (r: TraceRecord) => void;
  /** Every IPv4 packet put on a wire, with its virtual time (for --pcap FILE). */
  readonly onPacket?: (tNs: Ns, packet: Uint8Array) => void;
  /** Swarm testing: the seed also draws the fault mix and rates. */
  readonly swarm?: boolean;
  /** Test hook: one bug of the catalogue hw-sim/engine/bugs.ts switched on (e.g. drop-acked-write). */
  readonly faultInjection?: string;
}

/** One `[expect]` line: what was measured against what was allowed. */
export interface ExpectationResult {
  /** e.g. "latency.write.p99", "iops", "safety", "liveness". */
  readonly name: string;
  readonly ok: boolean;
  /** Measured value: ns for latencies, IOPS, bit/s, violation count ... */
  readonly actual: number | string | boolean | null;
  readonly limit: number | string | boolean | null;
  /** Unit of actual/limit for humans: 'ns', 'iops', 'bit/s', 'bytes', 'blocks', 'count'. */
  readonly unit?: string;
}

export interface LatencySummary {
  readonly count: number;
  readonly percentiles: Partial<Record<Percentile, Ns>>;
}

export interface JobResult {
  readonly name: string;
  /** The block device it ran on: nbd0, nbd1, ram0, … */
  readonly device?: string;
  /** Completed data I/Os: reads, writes and trims (as `iops` counts them); flushes are in `flushes`. */
  readonly ios: number;
  /** Completed flushes (fsync), not among `ios` (absent: none). */
  readonly flushes?: number;
  /** Failed requests of every kind, flushes included. */
  readonly errors: number;
  /** `ios` per virtual second of the job's run time. */
  readonly iops: number;
  /** Bytes read and written per virtual second (the unit is in the name: `[expect] bandwidth` is in bit/s). */
  readonly bandwidthBytesPerSec: number;
  readonly latency: Partial<Record<LatencyOp, LatencySummary>>;
  /** Why the job did not complete its I/Os (still running at the end, stopped at an error); absent when it did. */
  readonly incomplete?: string;
}

/** A timeline event as applied. */
export interface AppliedFault {
  readonly atNs: Ns;
  readonly description: string;
}

/** Output of a management command: structured data plus a table for humans. */
export interface MgmtOutput {
  readonly command: readonly string[];
  readonly data: unknown;
  readonly table?: { readonly columns: readonly string[]; readonly rows: readonly (readonly (string | number | boolean | null)[])[] };
}

export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  /** SHA-256 over every trace record of the run. */
  readonly digest: string;
  readonly virtualTimeNs: Ns;
  /** Engine events executed. */
  readonly events: number;
  /** Every expectation held and no safety/liveness violation. */
  readonly passed: boolean;
  readonly expectations: readonly ExpectationResult[];
  readonly jobs: readonly JobResult[];
  readonly faults: readonly AppliedFault[];
  readonly safetyViolations: readonly SafetyViolation[];
  readonly livenessViolations: readonly LivenessViolation[];
  /** Outputs of `mgmt` timeline events, in order. */
  readonly mgmt: readonly (MgmtOutput & { readonly atNs: Ns })[];
  /** Every NBD device: final state, servers, cache (absent or empty: none, e.g. RAM-disk jobs only). */
  readonly devices?: readonly DeviceSummary[];
  /** Failovers the NBD devices measured: device, and ns from the first failed request to I/O flowing again. */
  readonly failovers?: readonly { readonly device: string; readonly ns: Ns }[];
}

/** One NBD device in a run's result (device-summary.ts fills it; `run` prints a row each). */
export interface DeviceSummary {
  /** nbd0, nbd1, … in the order of the scenario's devices. */
  readonly name: string;
  /** The driver statechart's state at the end (ready, degraded, failed, …). */
  readonly state: string;
  /** Why the device failed (absent unless it did). */
  readonly reason?: string;
  /** Its servers by name, with their role when it is not primary. */
  readonly servers: readonly string[];
  /** What its client cache did (absent: no cache). */
  readonly cache?: CacheSummary;
}

/** The client cache in a run's result (cache-summary.ts fills it). */
export interface CacheSummary {
  readonly mode: string;
  readonly hits: number;
  readonly misses: number;
  readonly hitRatio: number;
  readonly readAheadHits: number;
  readonly readAheadReads: number;
  readonly evictions: number;
  readonly absorbedWrites: number;
  readonly writeBackBytes: number;
  readonly dirtyBytes: number;
  /** Hit latency (queue to completion of a request served from the cache), ns. */
  readonly hitLatency: Readonly<Record<Percentile, Ns>>;
}

/** One section of the stepper's `show`: a small table for people, and where its full data is in `show()`. */
export interface ShowSection {
  /** What `show NAME` selects, e.g. "statecharts", "blk", "nbd", "nics", "tcp". */
  readonly name: string;
  /** Key of the same data in SimSession.show() (for `show --json NAME`). */
  readonly raw: string;
  /** One line above the table (may carry a summary, e.g. the device state). */
  readonly title: string;
  readonly table: { readonly columns: readonly string[]; readonly rows: readonly (readonly (string | number | boolean | null)[])[] };
}

/**
 * A paused simulation for the stepper and `mgmt`: the CLI drives it one engine event at a time.
 */
export interface SimSession {
  /** Current virtual time. */
  readonly now: Ns;
  /** Trace records emitted so far. */
  readonly records: number;
  /** Runs the next engine event; returns the records it emitted, or undefined when nothing is left. */
  step(): readonly TraceRecord[] | undefined;
  /** Names of the statecharts that can be named in "continue to the next state change of M". */
  machines(): readonly string[];
  /**
   * Snapshot for `show`: every statechart's state, blk-mq queues and tags, in-flight NBD commands
   * by cookie, NIC rings, TCP windows — sections of plain JSON data.
   */
  show(): Readonly<Record<string, unknown>>;
  /** The same state as a few small tables for `show` (optional: without it the stepper prints show() as JSON). */
  view?(): readonly ShowSection[];
  /** Runs a management command at the current point. Throws Error with a message on a bad command. */
  mgmt(argv: readonly string[]): MgmtOutput;
  /** Runs to the end and checks expectations, as runScenario would. */
  finish(): RunResult;
  /** Virtual time of the next pending event (undefined: nothing left). */
  nextEventTime?(): Ns | undefined;
  /** Moves the clock to `t` (no event may be pending before it). */
  advanceTo?(t: Ns): void;
  /** The jobs are done and the timeline applied: the run's end. */
  finished?(): boolean;
  /** When a run that never finishes is stopped. */
  deadlineNs?(): Ns;
  /** Applies a fault or management command now (the stepper's `fork`). */
  inject?(ev: TimelineEvent): void;
}

export interface Runner {
  runScenario(scenario: Scenario, seed: number, opts?: RunOptions): RunResult;
  /** Names RunOptions.faultInjection accepts, so the CLI can reject a typo as bad input. */
  readonly faultInjections?: readonly string[];
  /** Optional until the stepper is wired: open a paused session at time 0. */
  openSession?(scenario: Scenario, seed: number, opts?: RunOptions): SimSession;
}
