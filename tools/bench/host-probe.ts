/**
 * The host probe: a fixed piece of pure computation timed just before and just after each measured
 * run, as a reference for how fast the host was running this thread at that moment.
 *
 * Why: this VM's guest has no steal-time accounting, and in some minutes a process runs ~1.5×
 * slower on the same work, every function alike (perf shares unchanged), on either vCPU, whether
 * the other vCPU is idle or busy, with or without transparent huge pages. The probe touches 64 KiB
 * (in L2) and does int32 arithmetic only, so nothing the simulator does can slow it: a slow probe
 * is the host. On 2026-12-05 an NBD row's runs fell from ~120k to ~80k req/s exactly when a probe
 * beside them (twice this one's rounds) went from 4.2 to 6.5 ms (docs/measurements.md).
 * It misses milder phases: runs at ~120k instead of ~165k with the probe only ~1.15× slower. Those
 * runs are kept, so leaving out slow-probe runs can only remove the host's slowness, never add speed.
 */

const WORDS = 1 << 14;
const ROUNDS = 75;
const words = new Int32Array(WORDS);

/**
 * Wall nanoseconds of one probe (~1.8 ms on this machine at full speed). Every value is an int32
 * (`| 0`, a signed multiplier), so the optimised code has one representation: a first version with
 * unsigned values (doubles past 2^31) ran 5x slower for a whole process once.
 */
export function hostProbeNs(): number {
  const t0 = process.hrtime.bigint();
  let x = 1;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < WORDS; i++) {
      x = (Math.imul(x ^ words[i]!, -1640531535) + i) | 0;
      words[i] = x;
    }
  }
  return Number(process.hrtime.bigint() - t0);
}

/** A run measured beside the probe: the probe's time just before and just after it, the slower one. */
export interface ProbedRun {
  probeNs: number;
}

/** A run counts as at host speed when its probe took at most this much over the fastest probe. */
export const PROBE_SLACK = 1.2;

/**
 * The runs measured while the host ran at full speed: those whose probe took at most PROBE_SLACK ×
 * the fastest probe of `all` (every run of the bench, all rows and processes, so one slow process
 * has no baseline of its own). The fastest probe is returned with them.
 */
export function runsAtHostSpeed<R extends ProbedRun>(runs: readonly R[], all: readonly ProbedRun[]): { kept: R[]; bestProbeNs: number } {
  let best = Infinity;
  for (const r of all) if (r.probeNs < best) best = r.probeNs;
  return { kept: runs.filter((r) => r.probeNs <= PROBE_SLACK * best), bestProbeNs: best };
}
