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

  it('the seed draws the workload\'s shape too: plugging, I/O sizes, hot spot, FUA and WRITE_ZEROES shares, trims', () => {
    const draws = Array.from({ length: 40 }, (_, i) => draw(i + 1));
    const mix = draws.map((d) => d.jobs['mix']!);
    expect(new Set(draws.map((d) => d.machine?.['plug']))).toEqual(new Set([true, false]));
    // bs 4 KiB times 1, 4, 16 or 32; fewer I/Os for larger sizes: 400·4/(3+f) rounded up.
    expect(new Set(mix.map((m) => m['bs_max']))).toEqual(new Set([4096, 16384, 65536, 131072]));
    const iosFor: Record<number, number | undefined> = { 4096: undefined, 16384: 229, 65536: 85, 131072: 46 };
    for (const m of mix) expect(m['ios']).toBe(iosFor[Number(m['bs_max'])]);
    expect(new Set(mix.map((m) => m['fua']))).toEqual(new Set([0, 25, 100]));
    expect(new Set(mix.map((m) => m['write_zeroes']))).toEqual(new Set([0, 15]));
    expect(mix.some((m) => m['hot_spot'] !== undefined) && mix.some((m) => m['hot_spot'] === undefined)).toBe(true);
    const seq = draws.map((d) => d.jobs['seq']!);
    expect(seq.some((q) => q['rw'] === 'trim') && seq.some((q) => q['rw'] === undefined)).toBe(true);
  });

  it('a plugged seed merges the sequential writer\'s bios and puts WRITE_ZEROES on the wire', () => {
    const seed = Array.from({ length: 40 }, (_, i) => i + 1).find((k) => {
      const d = draw(k);
      return d.machine?.['plug'] === true && d.jobs['seq']!['rw'] === undefined && d.jobs['mix']!['write_zeroes'] === 15;
    })!;
    let merges = 0;
    let zeroes = 0;
    const r = runScenario(mix, seed, {
      swarm: true,
      onTrace: (x) => {
        if (x.kind === 'bio.merge') merges++;
        if (x.kind === 'nbd.request' && (x.data as { cmd: string }).cmd === 'NBD_CMD_WRITE_ZEROES') zeroes++;
      },
    });
    expect(r.passed).toBe(true);
    expect(merges).toBeGreaterThan(0);
    expect(zeroes).toBeGreaterThan(0);
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
