// buffer_compress_percentage data: (100 − N) % random bytes at the head of every 512-byte chunk,
// zeros after; refused with verify and on read-only modes.
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../../hw-sim/engine/rng.ts';
import { compressibleData, randomBytesPerChunk } from '../../../scenarios/workload/compressible.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { scenarioRefusal as refusal } from '../schema/refusal.ts';

describe('compressible write data', () => {
  it('75 %: 128 random bytes then 384 zeros per chunk; 0 %: no zero run; 100 %: all zeros', () => {
    expect(randomBytesPerChunk(75)).toBe(128);
    expect(randomBytesPerChunk(0)).toBe(512);
    expect(randomBytesPerChunk(100)).toBe(0);
    const d = compressibleData(4096, 75, new RngStreams(1).get('t'));
    for (let c = 0; c < 4096; c += 512) {
      expect(d.subarray(c + 128, c + 512).every((b) => b === 0)).toBe(true);
      // 128 random bytes: all zero with probability 2^-1024.
      expect(d.subarray(c, c + 128).some((b) => b !== 0)).toBe(true);
    }
    expect(compressibleData(1024, 100, new RngStreams(1).get('t')).every((b) => b === 0)).toBe(true);
  });

  it('the same seed draws the same data', () => {
    expect(compressibleData(1024, 50, new RngStreams(7).get('x'))).toEqual(compressibleData(1024, 50, new RngStreams(7).get('x')));
  });
});

const doc = (job: string) => `[scenario]\nname = "t"\nseeds = [1]\n[[server]]\nname = "a"\n[[server.export]]\nname = "d"\nsize = "16MiB"\n[[link]]\nbetween = ["client", "a"]\n[[job]]\nname = "w"\nbs = "4KiB"\nios = 4\n${job}\n`;


describe('[[job]] buffer_compress_percentage', () => {
  it('reaches the job; refused with verify, on read modes and outside 0..100', () => {
    expect(parseScenario(doc('rw = "write"\nbuffer_compress_percentage = 40'), 's.toml').jobs[0]!.compressPercent).toBe(40);
    expect(refusal(doc('rw = "write"\nverify = true\nbuffer_compress_percentage = 40'))).toMatch(/buffer_compress_percentage.*not with verify/s);
    expect(refusal(doc('rw = "randread"\nbuffer_compress_percentage = 40'))).toMatch(/buffer_compress_percentage.*only applies to modes that write/s);
    expect(refusal(doc('rw = "write"\nbuffer_compress_percentage = 101'))).toMatch(/buffer_compress_percentage/);
  });
});
