// The 200-seed swarm sweeps of fault-mix (one server), multi-fault-mix (a shared volume over
// several servers, runtime add/remove), cache-wb-fault-mix (fault-mix with the write-back cache
// and a client crash), udp-fault-mix (fault-mix on the UDP transport; seed 39, an hdd with
// 1.7 % loss and a raced 128 KiB READ, caught a reassembly that never settled) and
// multi-mirror-fault-mix (a client-side mirror of 3: replica crashes, partition, malformed reply,
// resync under I/O): every seed
// also draws its fault mix and link rates; no seed may show a safety or liveness violation. Seeds
// are sharded over two worker threads.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { SwarmOutcome } from './swarm-worker.ts';

const FILES: [string, number][] = [['fault-mix.toml', 200], ['multi-fault-mix.toml', 200], ['cache-wb-fault-mix.toml', 200], ['udp-fault-mix.toml', 200], ['multi-mirror-fault-mix.toml', 200]];

function shard(file: string, seeds: number[]): Promise<SwarmOutcome[]> {
  return new Promise((resolve, reject) => {
    // The worker registers tsx itself (loader flags in execArgv do not reach worker threads on Node 20).
    const url = new URL('./swarm-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: { file: join(import.meta.dirname, '../../../scenarios', file), seeds } });
    w.once('message', (m: SwarmOutcome[]) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`swarm worker exited with ${code}`)); });
  });
}

for (const [file, SEEDS] of FILES) {
  describe(`swarm sweep of ${file}`, () => {
    it(`${SEEDS} seeds, zero violations`, async () => {
      const n = Math.max(1, Math.min(2, cpus().length));
      const parts: number[][] = Array.from({ length: n }, () => []);
      for (let seed = 1; seed <= SEEDS; seed++) parts[seed % n]!.push(seed);
      const results = (await Promise.all(parts.map((p) => shard(file, p)))).flat().sort((a, b) => a.seed - b.seed);
      expect(results.map((r) => r.seed)).toEqual(Array.from({ length: SEEDS }, (_, i) => i + 1));
      const bad = results.filter((r) => !r.passed).map((r) => ({ seed: r.seed, failed: r.failed, first: r.firstViolation, replay: `orion-sim run scenarios/${file} --seed ${r.seed} --swarm` }));
      expect(bad).toEqual([]);
    });
  });
}
