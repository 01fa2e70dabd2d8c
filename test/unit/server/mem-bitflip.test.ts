// Server memory bit flips (the mem-bitflip fault, a rate per READ reply): a reply's data leaves
// with exactly one bit flipped at rate 1, however many runs it is sent as, untouched at rate 0,
// and the store's own bytes never change.
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../../hw-sim/engine/rng.ts';
import { ServerFaults } from '../../../scenarios/hosts/nbd-server/protocol/faults.ts';

const faults = () => {
  const r = new RngStreams(3);
  return new ServerFaults((n) => r.get(n), 'srv');
};

const bitsDiffering = (a: Uint8Array, b: Uint8Array): number => {
  let bits = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) bits++;
  return bits;
};

/** Sends `data` as runs of `run` bytes the way replyRead does; returns the bytes that left. */
function sendReply(f: ServerFaults, data: Uint8Array, run: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const at = f.drawReply(data.length);
  for (let pos = 0; pos < data.length; pos += run) out.set(f.memory(data.subarray(pos, pos + run), at, pos, run), pos);
  return out;
}

describe('ServerFaults.memory', () => {
  it('rate 0 hands the data itself; rate 1 a copy with one bit flipped, counted', () => {
    const f = faults();
    const data = new Uint8Array(4096).fill(0xa5);
    expect(f.memory(data, f.drawReply(data.length), 0, data.length)).toBe(data);
    f.memFlipRate = 1;
    const out = f.memory(data, f.drawReply(data.length), 0, data.length);
    expect(out).not.toBe(data);
    expect(bitsDiffering(out, data)).toBe(1);
    expect(data.every((b) => b === 0xa5)).toBe(true);
    expect(f.memFlips).toBe(1);
  });

  it('a 128 KiB reply sent as 32 runs of 4 KiB gets one flipped bit at rate 1, not one per run', () => {
    const f = faults();
    f.memFlipRate = 1;
    const data = new Uint8Array(128 * 1024).fill(0x3c);
    for (let i = 0; i < 20; i++) expect(bitsDiffering(sendReply(f, data, 4096), data)).toBe(1);
    expect(f.memFlips).toBe(20);
  });

  it('at 3 % per reply, 32-run replies are hit 3 % of the time (binomial: 10000 replies, ±3.5 σ = ±0.6 %)', () => {
    const f = faults();
    f.memFlipRate = 0.03;
    const data = new Uint8Array(32 * 64);
    let hit = 0;
    for (let i = 0; i < 10_000; i++) if (bitsDiffering(sendReply(f, data, 64), data) > 0) hit++;
    expect(hit).toBeGreaterThanOrEqual(240);
    expect(hit).toBeLessThanOrEqual(360);
  });

  it('an empty payload is never touched, and clear() turns the fault off', () => {
    const f = faults();
    f.memFlipRate = 1;
    const empty = new Uint8Array(0);
    expect(f.drawReply(0)).toBe(-1);
    expect(f.memory(empty, 0, 0, 0)).toBe(empty);
    f.clear();
    const data = new Uint8Array(16);
    expect(f.memory(data, f.drawReply(data.length), 0, data.length)).toBe(data);
  });
});
