// `run --json` jobs: `ios` counts data I/Os only (flushes have their own field) and bandwidth
// states its unit, bytes per second, as the table prints it.
import { describe, expect, it } from 'vitest';
import { runner } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { renderSummary, runJson } from '../../../tools/cli/format/summary.ts';

// 100 writes of 4 KiB on a RAM disk, a flush after every 10th: 10 flushes.
const FSYNC = `[scenario]
name = "fsync"

[[job]]
name = "w"
device = "ram0"
rw = "randwrite"
bs = "4KiB"
iodepth = 1
size = "1MiB"
ios = 100
fsync = 10
`;

describe('run --json jobs', () => {
  const r = runner.runScenario(parseScenario(FSYNC, 'fsync.toml'), 1);
  const job = (runJson(r, 'replay').jobs as Record<string, unknown>[])[0]!;

  it('ios = 100 writes, flushes = 10, IOPS over the job\'s run time without the flushes', () => {
    expect(r.passed).toBe(true);
    expect([job['ios'], job['flushes'], job['errors']]).toEqual([100, 10, 0]);
    const iops = job['iops'] as number;
    const bw = job['bandwidthBytesPerSec'] as number;
    // 100 I/Os of 4096 bytes: bytes per second = 4096 × IOPS, whatever the run time was.
    expect(bw / iops).toBeCloseTo(4096, 6);
    expect(job).not.toHaveProperty('bandwidthBps');
  });

  it('the table prints the same I/O count and the bandwidth in bytes per second', () => {
    const line = renderSummary(r, 'replay').split('\n').find((l) => /^ {2}w /.test(l))!;
    const cells = line.trim().split(/ {2,}/);
    expect(cells.slice(0, 4)).toEqual(['w', '100', '10', '0']);
    const bw = (job['bandwidthBytesPerSec'] as number);
    const shown = cells[5]!;
    const [v, unit] = shown.split(' ');
    const mult = { 'B/s': 1, 'kB/s': 1e3, 'MB/s': 1e6, 'GB/s': 1e9 }[unit!]!;
    expect(Math.abs(Number(v) * mult - bw) / bw).toBeLessThan(0.01);
  });
});
