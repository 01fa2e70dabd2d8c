// Server memory bit flips (the mem-bitflip fault): a READ reply's data leaves with exactly one bit
// flipped at rate 1, untouched at rate 0, and the store's own bytes never change.
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../../hw-sim/engine/rng.ts';
import { ServerFaults } from '../../../scenarios/hosts/nbd-server/protocol/faults.ts';

const faults = () => {
  const r = new RngStreams(3);
  return new ServerFaults((n) => r.get(n), 'srv');
};

describe('ServerFaults.memory', () => {
  it('rate 0 hands the data itself; rate 1 a copy with one bit flipped, counted', () => {
    const f = faults();
    const data = new Uint8Array(4096).fill(0xa5);
    expect(f.memory(data)).toBe(data);
    f.memFlipRate = 1;
    const out = f.memory(data);
    expect(out).not.toBe(data);
    let bits = 0;
    for (let i = 0; i < data.length; i++) for (let x = out[i]! ^ data[i]!; x !== 0; x &= x - 1) bits++;
    expect(bits).toBe(1);
    expect(data.every((b) => b === 0xa5)).toBe(true);
    expect(f.memFlips).toBe(1);
  });

  it('an empty payload is never touched, and clear() turns the fault off', () => {
    const f = faults();
    f.memFlipRate = 1;
    const empty = new Uint8Array(0);
    expect(f.memory(empty)).toBe(empty);
    f.clear();
    const data = new Uint8Array(16);
    expect(f.memory(data)).toBe(data);
  });
});
