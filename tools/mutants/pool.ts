/** Hunts bugs on worker threads (the hunts are independent, CPU-bound runs). */
import { Worker } from 'node:worker_threads';
import type { BugName } from '../../hw-sim/engine/bugs.ts';
import type { MutantRow } from './hunt.ts';

function shard(bugs: BugName[]): Promise<MutantRow[]> {
  return new Promise((resolve, reject) => {
    // The worker registers tsx itself (loader flags in execArgv do not reach worker threads on Node 20).
    const url = new URL('./worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: { bugs } });
    w.once('message', (m: MutantRow[]) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`mutant worker exited with ${code}`)); });
  });
}

/** Every bug hunted, `threads` at a time, rows in catalogue order. */
export async function huntAll(bugs: readonly BugName[], threads: number): Promise<MutantRow[]> {
  const n = Math.max(1, Math.min(threads, bugs.length));
  const parts: BugName[][] = Array.from({ length: n }, () => []);
  bugs.forEach((b, i) => parts[i % n]!.push(b));
  const rows = (await Promise.all(parts.map(shard))).flat();
  return bugs.map((b) => rows.find((r) => r.bug === b)!);
}
