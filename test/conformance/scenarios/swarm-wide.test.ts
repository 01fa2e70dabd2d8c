// The wider swarm: the seed also adds faults (one-way partitions, slow and hung servers, every
// malformed-reply kind), the run lists what was drawn, and a sweep counts coverage marks and
// fails when a required mark was never hit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import type { SwarmDraw } from '../../../scenarios/runner/swarm.ts';

const mix = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-mix.toml'));

function draw(seed: number): SwarmDraw {
  let d: SwarmDraw | undefined;
  runScenario(mix, seed, { swarm: true, untilNs: 0, onTrace: (r) => { if (r.kind === 'swarm.draw') d = r.data as unknown as SwarmDraw; } });
  return d!;
}

describe('wider swarm', () => {
  it('over 60 seeds every added fault kind and every malformed kind is drawn, within bounds', () => {
    const added = Array.from({ length: 60 }, (_, i) => draw(i + 1).added).flat();
    const actions = new Set(added.map((a) => a['action']));
    expect([...actions].sort()).toEqual(['hang', 'malformed', 'partition', 'slow']);
    expect(new Set(added.filter((a) => a['action'] === 'malformed').map((a) => a['kind']))).toEqual(new Set(['bad-magic', 'bad-cookie', 'short', 'oversized']));
    // Partitions are one-way, in both directions over the seeds.
    expect(new Set(added.filter((a) => a['action'] === 'partition').map((a) => a['direction']))).toEqual(new Set(['a->client', 'client->a']));
    for (const a of added) {
      const ms = (v: unknown): number => Number(String(v).replace(/ns$/, '')) / 1e6;
      expect(ms(a['time'])).toBeGreaterThanOrEqual(1);
      expect(ms(a['time'])).toBeLessThanOrEqual(50); // fault-mix's last event is at 50 ms
      if (a['duration'] !== undefined) expect(ms(a['duration'])).toBeLessThanOrEqual(100);
    }
  });

  it('the seed also draws pool size, queue depth, link rate and disk, within the file\'s bounds', () => {
    const draws = Array.from({ length: 40 }, (_, i) => draw(i + 1));
    const pools = new Set(draws.map((d) => d.nbd['connection_pool_size']));
    const depths = new Set(draws.map((d) => d.jobs['mix']!['iodepth']));
    const rates = new Set(draws.map((d) => d.links['a']!.rate));
    const disks = new Set(draws.map((d) => d.disks['a']));
    // fault-mix: pool 2 (drawn in 1..4), iodepth 8 (drawn in 1..8), rate 25 Gbit (1, 10 or 25), any disk preset.
    expect([...pools].every((p) => Number(p) >= 1 && Number(p) <= 4) && pools.size > 1).toBe(true);
    expect([...depths].every((q) => Number(q) >= 1 && Number(q) <= 8) && depths.size > 1).toBe(true);
    expect(rates).toEqual(new Set(['1Gbit', '10Gbit', '25Gbit']));
    expect(disks).toEqual(new Set(['ram', 'nvme', 'ssd', 'hdd']));
  });

  it('the run lists the draw and applies the added faults', () => {
    const seed = Array.from({ length: 60 }, (_, i) => i + 1).find((s) => draw(s).added.some((a) => a['action'] === 'partition'))!;
    const r = runScenario(mix, seed, { swarm: true });
    expect(r.faults[0]!.description).toMatch(/^swarm drew: links \[a \d+Gbit loss [\d.]+% dup [\d.]+% reorder [\d.]+%\], \[\[at\]\] kept \d\/4, added \[.*partition client<->a at \d+ns (a->client|client->a)/);
    expect(r.faults.some((f) => /^partition client<->a \((a->client|client->a) only\) for /.test(f.description))).toBe(true);
  });

  it('sweep counts coverage marks; --require-mark fails when a mark was never hit', () => {
    const sweep = (mark: string) => spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'sweep', 'scenarios/fault-mix.toml', '--seeds', '1', '--require-mark', mark], { encoding: 'utf8', timeout: 120_000 });
    const hit = sweep('flush-barrier-wait'); // fault-mix fsyncs every 16 I/Os behind writes in flight
    expect(hit.status).toBe(0);
    expect(hit.stdout).toMatch(/ {2}marks: .*flush-barrier-wait [1-9]\d* \(1 seeds\)/);
    const missed = sweep('busy');
    expect(missed.status).toBe(1);
    expect(missed.stderr).toContain('coverage mark "busy" was never hit in 1 seeds');
    const bad = sweep('no-such-mark');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--require-mark: unknown mark "no-such-mark" \(marks: stale-cookie, /);
  });
});
