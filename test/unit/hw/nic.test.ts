import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { InterruptController } from '../../../hw-sim/irq/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { Nic, type NicConfig } from '../../../hw-sim/net/nic.ts';
import { Fabric } from '../../../hw-sim/net/fabric.ts';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import { A, B, Recorder, tcp, udp } from './net-helpers.ts';

const nicCfg = (over: Partial<NicConfig> = {}): NicConfig => ({
  txRingSize: 4, rxRingSize: 8, dma: { setupNs: 500, bytesPerSecond: 1e9 }, txIrqLine: 1, rxIrqLine: 2, ...over,
});

function single(over: Partial<NicConfig> = {}) {
  const e = new Engine({ seed: 1 });
  const irq = new InterruptController(e, 'h');
  const nic = new Nic(e, 'h', irq, nicCfg(over));
  const link = new Link(e, 'fabric', { name: 'l', rateBps: 1e9, propagationNs: 1_000 });
  nic.attach(link, 'a');
  const far = new Recorder(e);
  link.attach('b', far);
  return { e, irq, nic, link, far };
}

describe('NIC', () => {
  it('tx: DMA fetch then wire; completion raises the tx IRQ; ring full returns false until reaped', () => {
    const { e, irq, nic, far } = single();
    const txIrq: number[] = [];
    irq.requestLine(1, () => txIrq.push(e.now));
    for (let i = 0; i < 4; i++) expect(nic.txPost(udp(1000), i)).toBe(true);
    expect(nic.txPost(udp(1000), 9)).toBe(false);
    expect(nic.txRingFree).toBe(0);
    nic.txDoorbell();
    e.run();
    // DMA: 500 + 1028 B / 1 GB/s = 1528 ns, serialised; wire 8528 ns each, starting after DMA.
    expect(far.got.map((g) => g.t)).toEqual([1, 2, 3, 4].map((k) => 1_528 + k * 8_528 + 1_000));
    expect(txIrq).toEqual([1, 2, 3, 4].map((k) => 1_528 + k * 8_528));
    const cookies: number[] = [];
    expect(nic.txReap(cookies)).toBe(4);
    expect(cookies).toEqual([0, 1, 2, 3]);
    expect(nic.txPost(udp(1000), 5)).toBe(true);
    expect(nic.stats.tx).toMatchObject({ packets: 4, frames: 4, bytes: 4 * 1028 });
  });

  it('tx: a TSO chunk is one link event of N frames; frames above the MTU are refused', () => {
    const { e, nic, far, link } = single();
    nic.txPost(tcp(new Uint8Array(14_480), 1, 1448));
    nic.txDoorbell();
    e.run();
    expect(far.got.length).toBe(1);
    expect(link.stats('a->b').frames).toBe(10);
    expect(() => nic.txPost(tcp(new Uint8Array(1461), 1))).toThrow(/exceeds mtu 1500/);
  });

  it('tx with carrier down drops and still completes the descriptor', () => {
    const { e, nic, link, far } = single();
    link.setImpairments({ up: false });
    expect(nic.carrier).toBe(false);
    nic.txPost(udp(100));
    nic.txDoorbell();
    e.run();
    expect(far.got).toEqual([]);
    expect(nic.stats.tx.drops).toBe(1);
    expect(nic.txReap()).toBe(1);
  });

  it('a carrier change raises the link IRQ; completions stay in ring order across a flap', () => {
    const { e, irq, nic, link } = single({ linkIrqLine: 3 });
    const linkIrq: boolean[] = [];
    irq.requestLine(3, () => linkIrq.push(nic.carrier));
    const txIrq: Array<[number, number]> = [];
    irq.requestLine(1, (_l, n) => txIrq.push([e.now, n]));
    nic.txPost(udp(1000), 1);
    nic.txDoorbell(); // DMA 1528, wire until 10056
    e.schedule(2_000, () => link.setImpairments({ up: false }));
    e.schedule(2_000, () => {
      nic.txPost(udp(1000), 2); // dropped after its DMA at 3528, but completes after slot 1
      nic.txDoorbell();
    });
    e.schedule(50_000, () => link.setImpairments({ up: true }));
    e.run();
    expect(linkIrq).toEqual([false, true]);
    // Both completions are written back at 10056 and raise the line twice at one instant: one delivery.
    expect(txIrq).toEqual([[10_056, 2]]);
    const cookies: number[] = [];
    nic.txReap(cookies);
    expect(cookies).toEqual([1, 2]);
    expect(nic.stats.tx).toMatchObject({ packets: 1, drops: 1 });
  });

  it('rx: no free descriptor ⇒ drop counted as overrun; a chunk keeps the frames that fit', () => {
    const { e, nic, link } = single();
    expect(nic.rxPostBuffers(2)).toBe(2);
    for (let i = 0; i < 3; i++) link.transmit('b', udp(100));
    e.run();
    expect(nic.stats.rx).toMatchObject({ packets: 2, overruns: 1 });
    const got: Packet[] = [];
    expect(nic.rxPoll(64, got)).toBe(2);
    // 8-slot ring, nothing held: 8 fit of 10 asked.
    expect(nic.rxPostBuffers(10)).toBe(8);
    // A 7-frame chunk fits whole.
    link.transmit('b', tcp(new Uint8Array(7_000), 5_000, 1000));
    e.run();
    expect(nic.stats.rx.overruns).toBe(1);
    expect(nic.rxFree).toBe(1);
    // 1 free descriptor left, 7 held: a 5-frame chunk keeps its first frame, 4 frames overrun.
    link.transmit('b', tcp(new Uint8Array(5_000), 12_000, 1000));
    e.run();
    expect(nic.stats.rx.overruns).toBe(5);
    expect(nic.rxPostBuffers(100)).toBe(0);
    got.length = 0;
    nic.rxPoll(64, got);
    expect(got.map((p) => [p.tcp!.seq, p.payload.length])).toEqual([[5_000, 7_000], [12_000, 1_000]]);
    expect(nic.rxPostBuffers(100)).toBe(8);
  });

  it('rx: NAPI poll respects the budget; the rx IRQ is coalesced by the controller', () => {
    const { e, irq, nic, link } = single({ rxCoalesce: { maxEvents: 4, maxDelayNs: 1_000_000 } });
    const rxIrq: Array<[number, number]> = [];
    irq.requestLine(2, (_l, n) => rxIrq.push([e.now, n]));
    nic.rxPostBuffers(8);
    for (let i = 0; i < 6; i++) link.transmit('b', udp(1000));
    e.run();
    // 4th packet: arrives 4·8528 + 1000, DMA 1528 → IRQ with 4 events; the other 2 after 1 ms.
    const fourth = 4 * 8_528 + 1_000 + 1_528;
    const fifth = 5 * 8_528 + 1_000 + 1_528;
    expect(rxIrq).toEqual([[fourth, 4], [fifth + 1_000_000, 2]]);
    const out: Packet[] = [];
    expect(nic.rxPoll(5, out)).toBe(5);
    expect(nic.rxPoll(5, out)).toBe(1);
  });

  it('carries a packet host to host through the fabric with the expected latency', () => {
    const e = new Engine({ seed: 1 });
    const fabric = new Fabric(e);
    const mk = (host: string, ip: number) => {
      const irq = new InterruptController(e, host);
      const nic = new Nic(e, host, irq, nicCfg());
      fabric.connect(nic, ip, { rateBps: 1e9, propagationNs: 1_000 });
      return { irq, nic };
    };
    const c = mk('client', A), s = mk('server', B);
    s.nic.rxPostBuffers(8);
    const at: number[] = [];
    s.irq.requestLine(2, () => at.push(e.now));
    c.nic.txPost(udp(1000, A, B));
    c.nic.txDoorbell();
    e.run();
    // tx DMA 1528 + wire 8528 + prop 1000 + switch egress wire 8528 + prop 1000 + rx DMA 1528
    expect(at).toEqual([1_528 + 8_528 + 1_000 + 8_528 + 1_000 + 1_528]);
    expect(fabric.linkNames()).toEqual(['client-nic0', 'server-nic0']);
  });
});
