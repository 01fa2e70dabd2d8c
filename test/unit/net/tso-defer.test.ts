// Offload packets stay large under ACK clocking. In the sustained 10 GbE write (four NBD
// connections, each window-limited with a congestion window of hundreds of KB, beyond three
// 64 KiB packets), each ACK used to release what it acknowledged, so packets stayed as small as
// the ones acknowledged (~4 frames each, one ACK each) for the whole run. With deferral (Linux
// tcp_tso_should_defer) a window-limited sender waits for a full offload packet while ACKs are due.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/load.ts';
import { buildWorld } from '../../../scenarios/runner/world.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';

const FILE = join(import.meta.dirname, '../../../scenarios/sustained/perf-seq-write-10g.toml');

describe('TSO deferral', () => {
  it('window-limited NBD write streams send offload packets of many frames, not one per ACK', () => {
    const s = loadScenario(FILE);
    const w = buildWorld(s, 1, { trace: false });
    const st = w.machine.fabric.link('client-nic0').stats('a->b');
    // Past slow start: from 20 to 50 virtual ms.
    runWorld(w, 20_000_000);
    const [frames0, packets0] = [st.frames, st.packets];
    runWorld(w, 50_000_000);
    const frames = st.frames - frames0;
    const packets = st.packets - packets0;
    // 30 ms at ~1.2 GB/s of data is ~25k frames of 1448 bytes.
    expect(frames).toBeGreaterThan(20_000);
    // A full offload packet is 64 KiB / 1448 ≈ 45 frames; a 128 KiB write (~91 frames with its
    // header) takes at best two full packets and a partial one, ~30 frames per packet. Half of
    // that is the bar, allowing for window growth (without deferral: ~5).
    expect(frames / packets).toBeGreaterThanOrEqual(15);
  });
});
