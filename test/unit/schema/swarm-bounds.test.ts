// [swarm]: bounds of what --swarm draws. The loader refuses unknown keys and bad ranges (exit 2
// from the CLI); every draw of 30 seeds lies within the bounds written; absent, the built-in
// ranges draw exactly what they drew before the table existed.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { scenarioRefusal } from './refusal.ts';

const BASE = `
[scenario]
name = "swarm-bounds"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "64MiB"
[[link]]
between = ["client", "a"]
rate = "25Gbit"
[nbd]
connection_pool_size = 2
[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
iodepth = 8
size = "8MiB"
ios = 100
continue_on_error = true
`;

const SWARM = `
[swarm]
loss = [0.001, 0.002]
duplicate = [0, 0]
reorder = [0.01, 0.02]
keep = 1
faults = [2, 3]
fault_kinds = ["disk-error", "slow"]
disk_errors = ["ENOSPC"]
connection_pool_size = [3, 5]
iodepth = [2, 3]
rates = ["10Gbit"]
disks = ["ssd", "hdd"]
`;

type Draw = {
  links: Record<string, { loss: number; duplicate: number; reorder: number; rate?: string }>;
  added: Record<string, unknown>[];
  nbd: Record<string, number>;
  jobs: Record<string, Record<string, number>>;
  disks: Record<string, string>;
};

function draw(text: string, seed: number): Draw {
  let d: Draw | undefined;
  const onTrace = (r: TraceRecord): void => { if (r.kind === 'swarm.draw') d = r.data as unknown as Draw; };
  buildWorld(parseScenario(text, 's.toml'), seed, { swarm: true, onTrace });
  return d!;
}

describe('[swarm] bounds', () => {
  it('refuses an unknown key, an inverted range, an unknown fault kind and an out-of-range rate, naming the key', () => {
    expect(scenarioRefusal(`${BASE}\n[swarm]\nlossy = [0, 1]\n`)).toMatch(/swarm.*lossy/);
    expect(scenarioRefusal(`${BASE}\n[swarm]\nloss = [0.5, 0.1]\n`)).toMatch(/swarm\.loss.*low <= high/);
    expect(scenarioRefusal(`${BASE}\n[swarm]\nfault_kinds = ["earthquake"]\n`)).toMatch(/swarm\.fault_kinds/);
    expect(scenarioRefusal(`${BASE}\n[swarm]\nloss = [0, 2]\n`)).toMatch(/swarm\.loss/);
    expect(scenarioRefusal(`${BASE}\n[swarm]\ndisks = []\n`)).toMatch(/swarm\.disks/);
  });

  it('every seed draws within the bounds written', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const d = draw(BASE + SWARM, seed);
      const l = d.links['a']!;
      expect(l.loss).toBeGreaterThanOrEqual(0.001);
      expect(l.loss).toBeLessThanOrEqual(0.002);
      expect(l.duplicate).toBe(0);
      expect(l.reorder).toBeGreaterThanOrEqual(0.01);
      expect(l.reorder).toBeLessThanOrEqual(0.02);
      expect(l.rate).toBe('10Gbit');
      expect([3, 4, 5]).toContain(d.nbd['connection_pool_size']);
      expect([2, 3]).toContain(d.jobs['w']!['iodepth']);
      expect(['ssd', 'hdd']).toContain(d.disks['a']);
      expect([2, 3]).toContain(d.added.length);
      for (const a of d.added) {
        expect(['disk-eio', 'slow']).toContain(a['action']);
        if (a['action'] !== 'disk-eio') continue;
        // A full disk on writes, inside the job's 8 MiB region.
        expect(a['error']).toBe('ENOSPC');
        expect(a['ops']).toEqual(['write']);
        expect((a['offset'] as number) + (a['length'] as number)).toBeLessThanOrEqual(8 << 20);
      }
    }
  });

  it('without [swarm] the built-in ranges: pool 1..4, iodepth 1..8, link rates up to 25 Gbit, loss below 2 %', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const d = draw(BASE, seed);
      expect(d.nbd['connection_pool_size']).toBeGreaterThanOrEqual(1);
      expect(d.nbd['connection_pool_size']).toBeLessThanOrEqual(4);
      expect(d.jobs['w']!['iodepth']).toBeLessThanOrEqual(8);
      expect(d.links['a']!.loss).toBeLessThan(0.02);
      for (const a of d.added) expect(['partition', 'slow', 'hang', 'malformed']).toContain(a['action']);
    }
  });
});
