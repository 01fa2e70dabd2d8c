// Sweeps across machines: each shard writes `sweep --json FILE`; `sweep merge` over the shard
// files gives exactly the unsharded sweep's result (counts, failing seeds with replay and shrink
// commands, per-seed outcomes, summed latency histograms and their percentiles).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown> & { shard: unknown; latency: Record<string, { count: number; buckets: Record<string, number> }> };

describe('sweep --shard I/N --json FILE, then sweep merge', () => {
  it('the merge of three shards equals one unsharded sweep (with a failing seed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orion-merge-'));
    const common = ['scenarios/fault-mix.toml', '--seeds', '1..3', '--inject', 'drop-acked-write'];
    const whole = cli(['sweep', ...common, '--json', join(dir, 'all.json')]);
    expect(whole.status).toBe(1); // the injection fails seeds
    for (const i of [1, 2, 3]) expect(cli(['sweep', ...common, '--shard', `${i}/3`, '--json', join(dir, `s${i}.json`)]).status).toBe(1);
    const m = cli(['sweep', 'merge', join(dir, 's1.json'), join(dir, 's2.json'), join(dir, 's3.json'), '--json', join(dir, 'merged.json')]);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(1);
    const all = read(join(dir, 'all.json'));
    const merged = read(join(dir, 'merged.json'));
    expect(merged).toEqual(all);
    // Each shard holds only its seeds; the histograms of the shards add up to the whole one's.
    const shards = [1, 2, 3].map((i) => read(join(dir, `s${i}.json`)));
    expect(shards.map((s) => s['seeds'])).toEqual([1, 1, 1]);
    for (const op of Object.keys(all.latency)) {
      expect(shards.reduce((n, s) => n + (s.latency[op]?.count ?? 0), 0)).toBe(all.latency[op]!.count);
    }
    expect(all.latency['read']!.count).toBeGreaterThan(0);
    // The text report names the failing seeds with their replay and shrink commands.
    const text = cli(['sweep', 'merge', join(dir, 's1.json'), join(dir, 's2.json'), join(dir, 's3.json')]);
    expect(text.stdout).toMatch(/^fault-mix: 3 seeds, \d passed, [1-3] failed, merged from 3 file\(s\)\n/);
    expect(text.stdout).toMatch(/\n {2}shrink: npx orion-sim shrink scenarios\/fault-mix\.toml --seed \d --inject drop-acked-write\n/);
  });

  it('overlapping shards are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orion-merge-'));
    expect(cli(['sweep', 'scenarios/tls-psk.toml', '--seeds', '1..2', '--json', join(dir, 'a.json')]).status).toBe(0);
    const m = cli(['sweep', 'merge', join(dir, 'a.json'), join(dir, 'a.json')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/seed 1 is also in .*a\.json \(overlapping shards\)/);
  });
});
