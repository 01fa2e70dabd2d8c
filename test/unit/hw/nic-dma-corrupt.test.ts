// Injected rx DMA corruption (below TCP's checksum): the bytes the NIC writes to host memory carry
// one flipped bit, the packet still looks checksum-clean, and the sender's bytes stay untouched.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { InterruptController } from '../../../hw-sim/irq/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { Nic } from '../../../hw-sim/net/nic.ts';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import { tcp } from './net-helpers.ts';

function rig(seed = 1) {
  const e = new Engine({ seed });
  const irq = new InterruptController(e, 'h');
  const nic = new Nic(e, 'h', irq, { txRingSize: 4, rxRingSize: 64, dma: { setupNs: 500, bytesPerSecond: 1e9 }, txIrqLine: 1, rxIrqLine: 2 });
  const link = new Link(e, 'fabric', { name: 'l', rateBps: 1e9, propagationNs: 1_000 });
  nic.attach(link, 'a');
  nic.rxPostBuffers(64);
  return { e, nic, link };
}

const bitsDiffering = (a: Uint8Array, b: Uint8Array): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) n++;
  return n;
};

describe('NIC rx DMA corruption', () => {
  it('rate 1: every payload packet reaches the host with exactly one bit flipped and corrupt = false', () => {
    const { e, nic, link } = rig();
    nic.setRxDmaCorruption(1);
    const sent = [0, 1, 2, 3].map((k) => tcp(new Uint8Array(1000).fill(k + 1), 1 + k * 1000));
    for (const p of sent) link.transmit('b', p);
    e.run();
    const got: Packet[] = [];
    expect(nic.rxPoll(64, got)).toBe(4);
    got.forEach((p, i) => {
      expect(p.corrupt).toBe(false);
      expect(bitsDiffering(p.payload, sent[i]!.payload)).toBe(1);
      expect(sent[i]!.payload.every((b) => b === i + 1)).toBe(true); // the sender's bytes are untouched
    });
    expect(nic.stats.rx.dmaCorrupted).toBe(4);
  });

  it('rate 0 (or never set) leaves every packet as the wire delivered it; a bad rate is refused', () => {
    const { e, nic, link } = rig();
    nic.setRxDmaCorruption(1);
    nic.setRxDmaCorruption(0);
    const p = tcp(new Uint8Array(500).fill(7), 1);
    link.transmit('b', p);
    e.run();
    const got: Packet[] = [];
    nic.rxPoll(64, got);
    expect(got[0]!.payload).toBe(p.payload);
    expect(nic.stats.rx.dmaCorrupted).toBe(0);
    expect(() => nic.setRxDmaCorruption(1.5)).toThrow(/rate must be in \[0, 1\]/);
    expect(() => nic.setRxDmaCorruption(Number.NaN)).toThrow(/rate must be in \[0, 1\]/);
  });

  it('rate 0.25 over 400 packets corrupts about a quarter (binomial: within 4 sigma of 100)', () => {
    const { e, nic, link } = rig(3);
    nic.setRxDmaCorruption(0.25);
    const got: Packet[] = [];
    for (let k = 0; k < 400; k++) {
      e.schedule(k * 20_000, () => link.transmit('b', tcp(new Uint8Array(100), 1 + k * 100)));
      e.schedule(k * 20_000 + 10_000, () => { nic.rxPoll(64, got); nic.rxPostBuffers(64); });
    }
    e.run();
    expect(got.length).toBe(400);
    // sigma = sqrt(400 · 0.25 · 0.75) ≈ 8.7
    expect(Math.abs(nic.stats.rx.dmaCorrupted - 100)).toBeLessThan(35);
  });
});
