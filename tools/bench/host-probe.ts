/**
 * The host probes: two fixed pieces of pure computation timed just before and just after each
 * measured run, as a reference for how fast the host was running this thread at that moment.
 *
 * Why: this VM's guest has no steal-time accounting, and in some minutes a process runs 1.3–1.5×
 * slower on the same work, every function alike (perf shares unchanged), on either vCPU, whether
 * the other vCPU is idle or busy, with or without transparent huge pages. Nothing the simulator
 * does can slow the probes (they allocate nothing and touch 64 KiB), so a slow probe is the host.
 * Two kinds of phase were seen on 2026-12-05 (docs/measurements.md), each caught by one probe:
 * - `intLoop`, straight-line int32 arithmetic: 1.5–5× slower in the strong phases (a row's runs at
 *   ~80k req/s instead of ~120k), the host taking the vCPU away;
 * - `heapOps`, a binary heap's data-dependent branches: ~1.3× slower in the milder, longer phases
 *   (runs at ~120k instead of ~170k) in which intLoop moves by ~1.1× and a pointer chase over
 *   4 MiB not at all: something within the core is shared then (branch predictor or L1), not memory.
 * A probe's own time also moves a little from process to process (code placement), so a fast
 * process is sometimes judged slow; its runs are left out, which can lower the kept figure's
 * precision, never raise it. A phase neither probe sees keeps its slow runs.
 */

const WORDS = 1 << 14;
const ROUNDS = 75;
const words = new Int32Array(WORDS);

/**
 * ~1.8 ms at full speed. Every value is an int32 (`| 0`, a signed multiplier), so the optimised code
 * has one representation: a first version with unsigned values (doubles past 2^31) ran 5× slower
 * for a whole process once.
 */
function intLoop(): void {
  let x = 1;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < WORDS; i++) {
      x = (Math.imul(x ^ words[i]!, -1640531535) + i) | 0;
      words[i] = x;
    }
  }
}

const OPS = 60_000;
const heap = new Float64Array(4096);

/**
 * ~1.7 ms at full speed: pushes and pops on a binary heap of up to 2048 keys drawn from an LCG, from
 * an empty heap each time, so every call takes the same branches.
 */
function heapOps(): void {
  let s = 7;
  let n = 0;
  for (let r = 0; r < OPS; r++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    if (n === 0 || (n < 2048 && (s & 0x100000) === 0)) {
      const v = (s >>> 8) & 0xffff;
      let i = n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= v) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = v;
    } else {
      const last = heap[--n]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap[c + 1]! < heap[c]!) c++;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
  }
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/** Wall nanoseconds of each probe: [intLoop, heapOps]. */
export function hostProbe(): number[] {
  return [timed(intLoop), timed(heapOps)];
}

/** The probes' names, in hostProbe's order. */
export const PROBES = ['int loop', 'heap'];

/** A run measured beside the probes: per probe, the slower of its times just before and after. */
export interface ProbedRun {
  probeNs: readonly number[];
}

/** A run counts as at host speed when each probe took at most this much over that probe's fastest. */
export const PROBE_SLACK = 1.2;

/**
 * The runs measured while the host ran at full speed: those whose every probe took at most
 * PROBE_SLACK × that probe's fastest time in `all` (every run of the bench, all rows and processes,
 * so a slow process has no baseline of its own). The fastest times are returned with them.
 */
export function runsAtHostSpeed<R extends ProbedRun>(runs: readonly R[], all: readonly ProbedRun[]): { kept: R[]; bestProbeNs: number[] } {
  const best = PROBES.map(() => Infinity);
  for (const r of all) r.probeNs.forEach((ns, i) => (best[i] = Math.min(best[i]!, ns)));
  return { kept: runs.filter((r) => r.probeNs.every((ns, i) => ns <= PROBE_SLACK * best[i]!)), bestProbeNs: best };
}
