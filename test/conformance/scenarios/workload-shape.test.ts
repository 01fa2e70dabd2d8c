// The wider fault-mix's shape is real: I/O sizes drawn from 4 to 128 KiB, a hot spot read while it
// is written, trims on the wire; and bad values of the new keys are refused by the loader.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { loadScenario, parseScenario } from '../../../scenarios/schema/index.ts';

const wide = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-mix-wide.toml'));

describe('fault-mix-wide workload shape', () => {
  it('sizes between bs and bs_max, a hot spot taking its share of the random I/Os, trims', () => {
    const sizes = new Set<number>();
    let mixIos = 0;
    let hot = 0;
    let trims = 0;
    const r = runScenario(wide, 1, {
      onTrace: (x) => {
        if (x.kind !== 'nbd.request') return;
        const d = x.data as { cmd: string; offset: number; length: number };
        if (d.cmd === 'NBD_CMD_TRIM') trims++;
        if ((d.cmd !== 'NBD_CMD_READ' && d.cmd !== 'NBD_CMD_WRITE') || d.offset >= 2 * 2 ** 20) return;
        sizes.add(d.length);
        mixIos++;
        if (d.offset < 16384) hot++;
      },
    });
    expect(r.passed).toBe(true);
    for (const n of sizes) expect(n % 4096 === 0 && n >= 4096 && n <= 131072).toBe(true);
    // 32 possible sizes; a few hundred draws hit well over ten of them.
    expect(sizes.size).toBeGreaterThan(10);
    // share = 30 %: the first 16 KiB of 2 MiB would get ~1 % of uniform offsets.
    expect(hot / mixIos).toBeGreaterThan(0.15);
    expect(trims).toBeGreaterThanOrEqual(60);
  });

  it('bs_max not a multiple of bs, and a hot spot on a sequential job, are refused with their keys', () => {
    const base = (job: string): string => `[scenario]\nname = "x"\n[[server]]\nname = "a"\n[[server.export]]\nname = "d"\nsize = "8MiB"\n[[job]]\nname = "j"\n${job}\n`;
    expect(() => parseScenario(base('rw = "randrw"\nbs = "4KiB"\nbs_max = "6KiB"'), 'a.toml')).toThrow(/bs_max.*multiple of bs/);
    expect(() => parseScenario(base('rw = "write"\nhot_spot = { size = "16KiB", share = 20 }'), 'b.toml')).toThrow(/hot_spot.*only applies to random modes/);
  });
});
