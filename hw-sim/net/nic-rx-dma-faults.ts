/**
 * Faults of a NIC's receive DMA, applied to the packet whose DMA completes (the i-th of the NIC's
 * rx queue; the ones before it are ready for the driver).
 *
 * Failed descriptor (the DMA engine's errorRate or failNext): the NIC drops the packet before the
 * host sees it; its descriptors are free again. TCP retransmits.
 *
 * Corruption below TCP's checksum (`setRxDmaCorruption(rate)`): the DMA writes a flipped bit into
 * host memory for that fraction of received packets with a payload, after the NIC (or the stack,
 * in this model) verified the checksum: the packet stays `corrupt: false`, so TCP accepts it.
 * Only an end-to-end checksum above TCP can see it (docs/nbd-extensions.md).
 */
import type { Engine } from '../engine/engine.ts';
import type { Rng } from '../engine/rng.ts';
import type { Fifo } from './fifo.ts';
import type { Packet } from './packet.ts';

export class RxDmaFaults {
  /** Corruption probability per received packet with a payload (0: off). */
  corruptRate = 0;
  private rng: Rng | null = null;

  constructor(private readonly engine: Engine, private readonly src: string, private readonly stats: { dmaCorrupted: number; dmaErrors: number }) {}

  setCorruption(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${this.src}: rx DMA corruption rate must be in [0, 1], got ${rate}`);
    this.corruptRate = rate;
    this.rng ??= this.engine.rng.get(`${this.src}/dma-corrupt`);
  }

  /** The i-th packet's DMA failed: removed from `q` (rare: the ready ones before it move up); returns it. */
  drop(q: Fifo<Packet>, i: number): Packet {
    const p = q.at(i)!;
    for (let j = i; j > 0; j--) q.setAt(j, q.at(j - 1)!);
    q.shift();
    this.stats.dmaErrors++;
    this.engine.trace.emit(this.src, 'nic.dma-error', { seq: p.tcp ? p.tcp.seq >>> 0 : -1, bytes: p.payload.length });
    return p;
  }

  /** Maybe: the bytes the DMA wrote for the i-th packet are a copy with one bit flipped, checksum state kept. */
  maybeCorrupt(q: Fifo<Packet>, i: number): void {
    const p = q.at(i)!;
    const rng = this.rng!;
    if (p.payload.length === 0 || p.corrupt || !rng.chance(this.corruptRate)) return;
    const bit = rng.int(p.payload.length * 8);
    const payload = p.payload.slice();
    payload[bit >> 3]! ^= 1 << (bit & 7);
    q.setAt(i, { ...p, payload });
    this.stats.dmaCorrupted++;
    this.engine.trace.emit(this.src, 'nic.dma-corrupt', { seq: p.tcp ? p.tcp.seq >>> 0 : -1, bit });
  }
}
