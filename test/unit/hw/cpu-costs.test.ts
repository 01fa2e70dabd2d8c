// The CPU cost table: every cost scales with cpu_cost_scale, fixed costs stay whole ns, and
// costNs turns any entry into the ns to charge (hand-computed from the documented constants).
import { describe, expect, it } from 'vitest';
import { costNs, DEFAULT_CPU_COSTS, scaledCosts } from '../../../hw-sim/cpu/costs.ts';

describe('CPU cost table', () => {
  it('charges per-byte costs over the bytes and fixed costs as they are', () => {
    // CRC32C at 8 GB/s: 4096 B take 4096 / 8 = 512 ns; lz4js at ~370 MB/s (2.7 ns/B): 1 MiB = 2 831 155 ns ≈ 2.8 ms.
    expect(costNs(DEFAULT_CPU_COSTS, 'crc32cNsPerByte', 4096)).toBe(512);
    expect(costNs(DEFAULT_CPU_COSTS, 'lz4CompressNsPerByte', 1 << 20)).toBe(2_831_155);
    expect(costNs(DEFAULT_CPU_COSTS, 'serverRequestNs', 1 << 20)).toBe(3000);
    // AES-256-GCM at ~1.4 cycles/B at 3 GHz ≈ 0.5 ns/B: a 16 KiB TLS record costs 8192 ns.
    expect(costNs(DEFAULT_CPU_COSTS, 'aesGcmNsPerByte', 16_384)).toBe(8_192);
    // The NBD driver per request: 0.6 µs queue_rq + 1.2 µs reply = 1.8 µs (in the ~1–2 µs of Linux nbd).
    expect(costNs(DEFAULT_CPU_COSTS, 'nbdQueueRqNs') + costNs(DEFAULT_CPU_COSTS, 'nbdReplyNs')).toBe(1_800);
    // One rx packet per 1230 ns at 10 Gbit/s full-size frames: the receive path must fit in it.
    expect(DEFAULT_CPU_COSTS.netRxPacketNs).toBeLessThan(1_230);
    expect(DEFAULT_CPU_COSTS.netTxPacketNs).toBe(500);
    expect(DEFAULT_CPU_COSTS.timerCallbackNs).toBe(300);
  });

  it('scales every entry, rounding fixed costs to whole ns', () => {
    const half = scaledCosts(0.5);
    expect(half.blkSubmitNs).toBe(750);
    expect(half.serverRequestNs).toBe(1500);
    expect(half.netRxPacketNs).toBe(500);
    expect(half.timerCallbackNs).toBe(150);
    expect(half.aesGcmNsPerByte).toBeCloseTo(0.25);
    expect(half.copyNsPerByte).toBeCloseTo(0.05);
    const off = scaledCosts(0);
    for (const v of Object.values(off)) expect(v).toBe(0);
    expect(Object.keys(off).sort()).toEqual(Object.keys(DEFAULT_CPU_COSTS).sort());
  });

  it('refuses a negative or non-finite scale', () => {
    expect(() => scaledCosts(-1)).toThrow(/scale/);
    expect(() => scaledCosts(Number.NaN)).toThrow(/scale/);
  });
});
