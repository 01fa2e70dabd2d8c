// CPU cost of payload frames, hand-computed from the calibrated per-byte costs of
// hw-sim/cpu/costs.ts: lz4js 2.7 ns/B compress, 1.47 ns/B decompress; zlib level 1 17.4 ns/B
// compress; CRC-32C 0.125 ns/B.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CPU_COSTS, scaledCosts } from '../../../hw-sim/cpu/costs.ts';
import { headerCostNs, receiveCostNs, sendCostNs } from '../../../drivers/nbd/protocol/frame-cost.ts';
import {
  NBD_ORION_CHECKSUM_CRC32C, NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4, NBD_ORION_FRAME_COMPRESSED,
} from '../../../drivers/nbd/protocol/uapi.ts';

const C = DEFAULT_CPU_COSTS;
const LZ4 = NBD_ORION_COMPRESS_LZ4;
const CRC = NBD_ORION_CHECKSUM_CRC32C;

describe('frame CPU cost', () => {
  it('header checksums: one request header and one reply header per request, at the CRC rate', () => {
    // 28-byte request + 20-byte chunk header: 48 · 0.125 = 6; extended 32 + 32: 64 · 0.125 = 8; simple 28 + 16: 44 · 0.125 = 5.5 → 6.
    expect(headerCostNs(C, 28, 20)).toBe(6);
    expect(headerCostNs(C, 32, 32)).toBe(8);
    expect(headerCostNs(C, 28, 16)).toBe(6);
  });

  it('send: the compression attempt over every raw byte, then the CRC', () => {
    // 4096 · 2.7 = 11059.2 → 11059; 4096 · 0.125 = 512.
    expect(sendCostNs(C, LZ4, CRC, 4096)).toBe(11_059 + 512);
    // 4096 · 17.4 = 71270.4 → 71270, no checksum.
    expect(sendCostNs(C, NBD_ORION_COMPRESS_DEFLATE, 0, 4096)).toBe(71_270);
    expect(sendCostNs(C, 0, CRC, 4096)).toBe(512);
    expect(sendCostNs(C, 0, 0, 4096)).toBe(0);
  });

  it('receive: decompression only for a compressed frame, the CRC over the raw bytes', () => {
    const packed = { raw: 4096, wire: 900, checksum: 0, flags: NBD_ORION_FRAME_COMPRESSED };
    const plain = { raw: 4096, wire: 4096, checksum: 0, flags: 0 };
    // 4096 · 1.47 = 6021.12 → 6021.
    expect(receiveCostNs(C, LZ4, CRC, packed)).toBe(6_021 + 512);
    expect(receiveCostNs(C, LZ4, CRC, plain)).toBe(512);
    expect(receiveCostNs(C, LZ4, 0, plain)).toBe(0);
  });

  it('cpu_cost_scale 0 makes frames free', () => {
    expect(sendCostNs(scaledCosts(0), LZ4, CRC, 4096)).toBe(0);
  });
});
