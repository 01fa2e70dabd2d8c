// The NIC's transfers go through its DMA engine (hw-sim/dma): one descriptor per packet on the tx
// or rx channel, timed by the engine, and DMA faults injected there show above the NIC: a failed
// tx descriptor never reaches the wire, a failed rx descriptor's packet never reaches the host,
// and TCP recovers both. Timings worked out by hand from the cost model.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { InterruptController } from '../../../hw-sim/irq/index.ts';
import { Link } from '../../../hw-sim/net/link.ts';
import { Nic } from '../../../hw-sim/net/nic.ts';
import { buildMachine } from '../../../scenarios/machine/index.ts';
import { Recorder, udp } from './net-helpers.ts';
import { Sink, firstDiff, pattern, writeAll } from '../net/helpers/hosts.ts';

/** IPv4 + UDP header bytes of every frame of udp(): what a link passes beside the packet. */
const UDP_HDR = 28;

function single() {
  const e = new Engine({ seed: 1 });
  const irq = new InterruptController(e, 'h');
  const nic = new Nic(e, 'h', irq, { txRingSize: 4, rxRingSize: 8, dma: { setupNs: 500, bytesPerSecond: 1e9 }, txIrqLine: 1, rxIrqLine: 2 });
  const link = new Link(e, 'fabric', { name: 'l', rateBps: 1e9, propagationNs: 1_000 });
  nic.attach(link, 'a');
  const far = new Recorder(e);
  link.attach('b', far);
  return { e, irq, nic, link, far };
}

describe('NIC DMA through the DMA engine', () => {
  it('tx and rx are descriptors on the engine\'s two channels, rings as large as the NIC\'s', () => {
    const { e, nic } = single();
    expect(nic.dma.ringFree(0)).toBe(4);
    expect(nic.dma.ringFree(1)).toBe(8);
    nic.txPost(udp(1000));
    nic.txDoorbell();
    expect(nic.dma.ringFree(0)).toBe(3);
    nic.rxPostBuffers(8);
    nic.port.receive(udp(472), 0, 1, UDP_HDR);
    e.run();
    // tx: 1028 IPv4 bytes; rx: 500 (20 + 8 + 472).
    expect(nic.dma.stats(0)).toMatchObject({ submitted: 1, completed: 1, bytes: 1028, errors: 0 });
    expect(nic.dma.stats(1)).toMatchObject({ submitted: 1, completed: 1, bytes: 500, errors: 0 });
    expect(nic.dma.ringFree(0)).toBe(4);
  });

  it('a failed tx descriptor drops its packet (no wire time) and the next goes at once', () => {
    const { e, irq, nic, far } = single();
    const irqs: number[] = [];
    irq.requestLine(1, () => irqs.push(e.now));
    nic.dma.failNext(1);
    nic.txPost(udp(1000), 1);
    nic.txPost(udp(1000), 2);
    nic.txDoorbell();
    e.run();
    // First: DMA 500 + 1028 = 1528 ns, then dropped. Second: its DMA 1528..3056, wire 8528 ns, +1000 propagation.
    expect(far.got.map((g) => g.t)).toEqual([3_056 + 8_528 + 1_000]);
    expect(nic.stats.tx).toMatchObject({ packets: 1, drops: 1, dmaErrors: 1 });
    const cookies: number[] = [];
    expect(nic.txReap(cookies)).toBe(2);
    expect(cookies).toEqual([1, 2]);
    // Both descriptors complete and raise the tx IRQ: the dropped one after its DMA, the other when its last bit left.
    expect(irqs).toEqual([1_528, 3_056 + 8_528]);
  });

  it('a failed rx descriptor\'s packet never reaches the host and gives its descriptors back', () => {
    const { e, irq, nic } = single();
    const rxIrq: number[] = [];
    irq.requestLine(2, () => rxIrq.push(e.now));
    nic.rxPostBuffers(8);
    nic.port.receive(udp(472), 0, 1, UDP_HDR);
    nic.dma.failNext(1);
    nic.port.receive(udp(100), 0, 1, UDP_HDR);
    nic.port.receive(udp(200), 0, 1, UDP_HDR);
    e.run();
    // DMA 500 B: 1000 ns, then 128 B (failed): 628 ns, then 228 B: 728 ns → ready at 1000 and 2356.
    expect(rxIrq).toEqual([1_000, 2_356]);
    const got: ReturnType<typeof udp>[] = [];
    expect(nic.rxPoll(64, got)).toBe(2);
    expect(got.map((p) => p.payload.length)).toEqual([472, 200]);
    expect(nic.stats.rx.dmaErrors).toBe(1);
    // All three descriptors can be posted again (the failed one was given back).
    expect(nic.rxPostBuffers(8)).toBe(3);
  });

  it('DMA errors on both hosts\' NICs: TCP delivers every byte intact, by retransmission', () => {
    const link = { rateBps: 10e9, propagationNs: 25_000 };
    const m = buildMachine({ hosts: [{ name: 'client', role: 'client', ip: '10.0.0.1', link }, { name: 's', role: 'server', ip: '10.0.0.2', link }] }, { seed: 3 });
    const c = m.client!;
    const s = m.host('s');
    c.nic.dma.setErrorRate(0.01);
    s.nic.dma.setErrorRate(0.01);
    const up = pattern(1_000_000, 5);
    const sink = new Sink();
    s.net.listen(10809).onAccept = (sock) => { sock.onData = sink.take; };
    const sock = c.net.tcpSocket({ noDelay: true });
    sock.connect(s.ip, 10809);
    writeAll(sock, up, () => sock.shutdown());
    m.engine.runUntil(2_000_000_000);
    expect(firstDiff(sink.data(), up)).toBe(-1);
    expect(c.nic.stats.tx.dmaErrors + s.nic.stats.rx.dmaErrors).toBeGreaterThan(0);
    expect(c.kernel.stats.num('net/tcp/retrans_segs')).toBeGreaterThan(0);
  });
});
