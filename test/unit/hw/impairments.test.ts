import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { splitGso } from '../../../hw-sim/net/gso.ts';
import { frameCount, type Packet } from '../../../hw-sim/net/packet.ts';
import type { Impairments } from '../../../hw-sim/net/impairments.ts';
import { Recorder, tcp } from './net-helpers.ts';

const CHUNK = 65_536;
const GSO = 1_448;
const FRAMES_PER_CHUNK = 46; // ceil(65536 / 1448)
const CHUNKS = 440; // 20,240 frames
const N = CHUNKS * FRAMES_PER_CHUNK;
const pattern = new Uint8Array(CHUNK).map((_, i) => (i * 7 + (i >> 8)) & 255);

function run(imp: Partial<Impairments>, seed = 11) {
  const e = new Engine({ seed, trace: false });
  const link = new Link(e, 'fabric', { name: 'stat', rateBps: 100e9, propagationNs: 1_000, impairments: imp });
  const rx = new Recorder(e);
  link.attach('b', rx);
  for (let c = 0; c < CHUNKS; c++) link.transmit('a', tcp(pattern, c * CHUNK, GSO));
  e.run();
  // Every received packet, cut into frames the way the spec describes (seq = chunk seq + k·gso).
  const frames: Packet[] = [];
  for (const g of rx.got) for (const f of splitGso(g.p)) frames.push(f);
  return { link, rx, frames };
}

/** |measured − n·p| within 4σ of the binomial. */
function expectBinomial(count: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p), `count ${count} vs expected ${n * p} ± ${4 * sd}`).toBeLessThan(4 * sd);
}

describe('impairments: per-frame statistics over TSO chunks', () => {
  it(`the workload is ${N} frames, 46 per 64 KiB chunk`, () => {
    expect(frameCount(tcp(pattern, 0, GSO))).toBe(FRAMES_PER_CHUNK);
    const { frames, rx } = run({});
    expect(frames.length).toBe(N);
    expect(rx.got.length).toBe(CHUNKS); // unimpaired chunks stay one event each
  });

  it('loss rate is per frame', () => {
    const p = 0.03;
    const { frames, rx } = run({ loss: p });
    expectBinomial(N - frames.length, N, p);
    // Per-chunk loss would lose whole 46-frame chunks: every chunk but ~25% got split instead.
    expect(rx.got.length).toBeGreaterThan(CHUNKS);
    const seqs = new Set(frames.map((f) => f.tcp!.seq));
    expect(seqs.size).toBe(frames.length);
    for (const f of frames) expect((f.tcp!.seq % CHUNK) % GSO).toBe(0);
  });

  it('duplicate rate is per frame', () => {
    const p = 0.02;
    const { frames } = run({ duplicate: p });
    const unique = new Set(frames.map((f) => f.tcp!.seq)).size;
    expect(unique).toBe(N);
    expectBinomial(frames.length - unique, N, p);
  });

  it('corrupt rate is per frame; a corrupt frame differs from the original in exactly one bit', () => {
    const p = 0.01;
    const { frames } = run({ corrupt: p });
    expect(frames.length).toBe(N);
    let corrupt = 0;
    for (const f of frames) {
      const off = f.tcp!.seq % CHUNK;
      let bits = 0;
      for (let i = 0; i < f.payload.length; i++) {
        let x = f.payload[i]! ^ pattern[off + i]!;
        while (x) {
          bits += x & 1;
          x >>= 1;
        }
      }
      expect(bits).toBe(f.corrupt ? 1 : 0);
      if (f.corrupt) corrupt++;
    }
    expectBinomial(corrupt, N, p);
    // The sender's buffer is untouched.
    expect(pattern[5]).toBe((5 * 7) & 255);
  });

  it('reorder holds a frame back by reorderDelayNs so later frames overtake it', () => {
    const p = 0.02;
    const { frames, rx } = run({ reorder: p, reorderDelayNs: 50_000 });
    expect(frames.length).toBe(N);
    // Chunk c's last bit arrives at (c+1)·5530 + 1000 ns (69,124 wire bytes at 100 Gb/s = 5529.92
    // → 5530 ns, + propagation). A held frame arrives reorderDelayNs after its chunk.
    let held = 0;
    for (const g of rx.got) {
      const c = Math.floor(g.p.tcp!.seq / CHUNK);
      const due = (c + 1) * 5_530 + 1_000;
      if (g.t === due + 50_000) held++;
      else expect(g.t).toBe(due);
    }
    expectBinomial(held, N, p);
    let inversions = 0;
    for (let i = 1; i < rx.got.length; i++) if (rx.got[i]!.p.tcp!.seq < rx.got[i - 1]!.p.tcp!.seq) inversions++;
    expect(inversions).toBeGreaterThan(0);
  });

  it('the same seed draws the same impairments; another seed different ones', () => {
    const lost = (seed: number) => run({ loss: 0.01 }, seed).link.stats('a->b').lost;
    expect(lost(5)).toBe(lost(5));
    const seqs = (seed: number) => run({ loss: 0.01 }, seed).frames.map((f) => f.tcp!.seq).join(',');
    expect(seqs(5)).not.toBe(seqs(6));
  });
});
