// Worker thread of the swarm sweep: runs the seeds it is given and posts one line per seed.
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

export interface SwarmOutcome {
  seed: number;
  passed: boolean;
  safety: number;
  liveness: number;
  failed: string[];
  firstViolation: string | undefined;
}

const { file, seeds } = workerData as { file: string; seeds: number[] };
const s = loadScenario(file);
const out: SwarmOutcome[] = [];
for (const seed of seeds) {
  const r = runScenario(s, seed, { swarm: true });
  out.push({
    seed, passed: r.passed, safety: r.safetyViolations.length, liveness: r.livenessViolations.length,
    failed: r.expectations.filter((e) => !e.ok).map((e) => `${e.name}=${String(e.actual)}`),
    firstViolation: r.safetyViolations[0]?.message ?? r.livenessViolations[0]?.message,
  });
}
parentPort!.postMessage(out);
