// The bench's NBD stack is the runner's world (buildWorld, trace off): it connects the pool it
// asks for and serves a randread job with data, not holes.
import { describe, expect, it } from 'vitest';
import { buildNbdStack, dropClientCache, EXPORT_BYTES, runRandread } from '../../../tools/bench/nbd-stack.ts';

describe('bench NBD stack on buildWorld', () => {
  it('connects N connections, trace off, and completes every read', () => {
    const s = buildNbdStack({ trace: false, connections: 2, cache: false });
    expect(s.engine.trace.count).toBe(0);
    expect(s.nbd.device.state).toBe('ready');
    expect(s.nbd.device.conns.live).toBe(2);
    expect(s.nbd.disk.capacityBytes).toBe(EXPORT_BYTES);
    const r = runRandread(s, 500, 8);
    expect(r.jobs[0]!.read.ios).toBe(500);
    expect(r.jobs[0]!.read.errors).toBe(0);
    expect(r.jobs[0]!.read.bytes).toBe(500 * 4096);
  });

  it('without the client cache every READ crosses the wire; with it repeated blocks do not', () => {
    const off = buildNbdStack({ trace: false, connections: 1, cache: false });
    const rx = off.machine.host('client').nic.stats.rx;
    const before = rx.bytes;
    runRandread(off, 2000, 8);
    // Each reply: 4096 data + 16 header bytes at least (IP/TCP headers on top).
    expect(rx.bytes - before).toBeGreaterThanOrEqual(2000 * (4096 + 16));
    expect(off.nbd.device.cache.blocks.counters.hits).toBe(0);
    const on = buildNbdStack({ trace: false, connections: 1, cache: true });
    runRandread(on, 2000, 8);
    // 2000 uniform draws over 16384 blocks repeat an earlier block about 2000² / (2 × 16384) ≈ 122
    // times: some hits, far fewer than draws.
    const hits = on.nbd.device.cache.blocks.counters.hits;
    expect(hits).toBeGreaterThan(20);
    expect(hits).toBeLessThan(400);
  });

  it('serves run after run on one stack; dropping the client cache makes the next run start cold', () => {
    const s = buildNbdStack({ trace: false, connections: 1, cache: true });
    const c = s.nbd.device.cache.blocks.counters;
    const hitsOf = (): number => {
      const h0 = c.hits;
      const r = runRandread(s, 2000, 8);
      expect(r.jobs[0]!.read.ios).toBe(2000);
      expect(r.jobs[0]!.read.errors).toBe(0);
      return c.hits - h0;
    };
    // The offsets stream continues across runs. A run's own repeats: 2000 − 16384·(1 − e^(−2000/16384))
    // ≈ 117. Without a drop the second run also finds the first run's ~1883 blocks: ≈ 2000·1883/16384
    // ≈ 230 more, ≈ 330 in all.
    expect(hitsOf()).toBeGreaterThan(70);
    expect(hitsOf()).toBeGreaterThan(260);
    dropClientCache(s);
    const cold = hitsOf();
    expect(cold).toBeGreaterThan(70);
    expect(cold).toBeLessThan(180);
  });
});
