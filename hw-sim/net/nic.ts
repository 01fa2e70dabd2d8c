/**
 * Virtual NIC: one tx and one rx descriptor ring, TSO, DMA to/from host memory, interrupts
 * through the interrupt controller (coalesced there), carrier from the attached link.
 *
 * Register-level API for the driver (drivers/net):
 *
 *   tx  txPost(p, cookie) → boolean   write a descriptor at the ring tail; false when the ring is
 *                                     full (txRingSize descriptors posted and not yet reaped)
 *       txDoorbell()                  hand every posted descriptor to the hardware
 *       txReap(out?) → number         reclaim completed descriptors, oldest first; pushes their
 *                                     cookies to `out`; frees their ring slots
 *       txRingFree                    free tx slots
 *   rx  rxPostBuffers(n) → number     give the NIC n free rx buffers (descriptors); returns how
 *                                     many fitted in the ring
 *       rxPoll(budget, out, at?) → n  NAPI: move up to `budget` received packets to `out` (from
 *                                     index `at`, default its end); their descriptors are
 *                                     consumed (repost buffers to refill)
 *       rxReady / rxFree              packets waiting to be polled / free rx descriptors
 *   irq txIrqLine is raised per tx completion, rxIrqLine per received packet (the controller
 *       coalesces them; program it with setCoalescing, ethtool -C style); linkIrqLine (optional)
 *       on a carrier change. A NAPI driver masks rxIrqLine in its handler, polls, and unmasks
 *       when a poll returns less than its budget.
 *   link `carrier` (the link's `up`); `attach(link, side)` is done by the fabric builder.
 *
 * Timing. The NIC owns a DMA engine (hw-sim/dma) with a tx and an rx channel, their rings as
 * large as the NIC's. Tx: each packet is a descriptor on the tx channel (setup + bytes /
 * bandwidth, serialised), then the link serialises it; the descriptor completes when its last
 * bit has left (in ring order): that completion is the one event per packet. With carrier down
 * the packet is dropped after its DMA. Rx: a packet needs one free descriptor per wire frame (a
 * TSO/LRO chunk of N frames takes N); with fewer the tail frames are dropped as rx overruns.
 * Accepted packets are a descriptor on the rx channel; at its completion they become pollable
 * and raise rxIrqLine. Packets are handed over by reference (receivers copy out what they keep),
 * so the descriptors carry byte counts and no payload bytes are copied on the hot path.
 *
 * DMA faults (`dma.setErrorRate`, `dma.failNext`, or `dmaErrorRate`): a failed tx descriptor's
 * packet never reaches the wire (a tx drop TCP recovers from); rx faults (a failed descriptor,
 * `setRxDmaCorruption` below TCP's checksum): nic-rx-dma-faults.ts.
 */
import type { Engine } from '../engine/engine.ts';
import { type Ns } from '../engine/time.ts';
import { checkDmaCostModel, type DmaCostModel } from '../dma/cost.ts';
import { DmaEngine, type DmaDevice, type DmaStatus } from '../dma/dma.ts';
import type { InterruptController, IrqCoalescing } from '../irq/controller.ts';
import { Fifo } from './fifo.ts';
import { RxDmaFaults } from './nic-rx-dma-faults.ts';
import { headFrames, maxFrameIpBytes } from './gso.ts';
import type { FrameReceiver, Link, LinkSide } from './link.ts';
import { frameCount, frameHeaderBytes, type Packet } from './packet.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_TX = traceShape('nic.tx', ['seq', 'bytes', 'frames', 'dropped', 'rids']);
const TRACE_RX = traceShape('nic.rx', ['seq', 'bytes', 'frames', 'rids']);

export interface NicConfig {
  /** Device name in the trace. Default `nic0`. */
  name?: string;
  /** Largest IPv4 packet per wire frame. Default 1500. */
  mtu?: number;
  txRingSize: number;
  rxRingSize: number;
  /** Host memory ⇄ NIC transfer model. */
  dma: DmaCostModel;
  /** Probability that a DMA descriptor fails (injected fault; default 0). */
  dmaErrorRate?: number;
  txIrqLine: number;
  rxIrqLine: number;
  linkIrqLine?: number;
  txCoalesce?: IrqCoalescing | null;
  rxCoalesce?: IrqCoalescing | null;
}

export interface NicQueueStats {
  packets: number;
  frames: number;
  /** IPv4 bytes (headers + payload, all frames counted with their own headers). */
  bytes: number;
  drops: number;
  /** rx: frames dropped for want of a free descriptor. */
  overruns: number;
  /** rx: packets whose payload the DMA corrupted after checksum verification (injected fault). */
  dmaCorrupted: number;
  /** Packets whose DMA descriptor failed (dropped). */
  dmaErrors: number;
}

const newStats = (): NicQueueStats => ({ packets: 0, frames: 0, bytes: 0, drops: 0, overruns: 0, dmaCorrupted: 0, dmaErrors: 0 });
const TX = 0;
const RX = 1;

export class Nic implements DmaDevice {
  readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  readonly mtu: number;
  readonly stats: { readonly tx: NicQueueStats; readonly rx: NicQueueStats } = { tx: newStats(), rx: newStats() };
  /** The NIC's DMA engine: channel 0 tx, 1 rx (inject faults here). */
  readonly dma: DmaEngine;
  private link: Link | null = null;
  private side: LinkSide = 'a';
  // tx ring: slots [head, tail) are in use; [head, done) completed, [done, fetched) in flight,
  // [fetched, tail) posted but not yet seen by the hardware.
  private readonly txPkts: Array<Packet | null>;
  private readonly txCookies: number[];
  private txHead = 0;
  private txDone = 0;
  private txFetched = 0;
  private txTail = 0;
  // Their ring slots, wrapped by a compare (a % of a variable is an integer division per use).
  private txHeadSlot = 0;
  private txDoneSlot = 0;
  private txFetchedSlot = 0;
  private txTailSlot = 0;
  /** From the config, kept in the NIC's own fields (read per packet). */
  private readonly txRingSize: number;
  private readonly rxRingSize: number;
  private readonly txIrqLine: number;
  private readonly rxIrqLine: number;
  /** Per tx ring slot: the packet's IPv4 bytes (all frames), its frames, its IPv4 + L4 header bytes a frame, and whether it was dropped (1). */
  private readonly txBytes: Int32Array;
  private readonly txFrames: Uint32Array;
  private readonly txHdr: Uint8Array;
  private readonly txDropped: Uint8Array;
  /** The tx slot being handed to the DMA engine (its dmaTimed call). */
  private txSubmitSlot = 0;
  // rx: free descriptors, packets being DMA'd then ready (one FIFO, the first rxReadyN ready).
  private rxFreeN = 0;
  private rxHeldFrames = 0;
  private rxReadyN = 0;
  private readonly rxQ = new Fifo<Packet>();
  private readonly rxFaults: RxDmaFaults;
  /** The link delivers here. */
  readonly port: FrameReceiver = { receive: (p, _first, frames, hdr) => this.receive(p, frames, hdr) };

  constructor(private readonly engine: Engine, readonly host: string, private readonly irq: InterruptController, private readonly cfg: NicConfig) {
    this.src = `${host}/${cfg.name ?? 'nic0'}`;
    this.traceSrc = traceSource(this.src);
    this.mtu = cfg.mtu ?? 1500;
    checkDmaCostModel(cfg.dma, `${this.src} dma`);
    for (const k of ['txRingSize', 'rxRingSize'] as const) {
      if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new RangeError(`${this.src}: ${k} must be a positive integer, got ${cfg[k]}`);
    }
    if (!Number.isInteger(this.mtu) || this.mtu < 68) throw new RangeError(`${this.src}: mtu must be an integer ≥ 68, got ${this.mtu}`);
    this.txRingSize = cfg.txRingSize;
    this.rxRingSize = cfg.rxRingSize;
    this.txIrqLine = cfg.txIrqLine;
    this.rxIrqLine = cfg.rxIrqLine;
    this.txPkts = new Array<Packet | null>(cfg.txRingSize).fill(null);
    this.txCookies = new Array<number>(cfg.txRingSize).fill(0);
    this.txBytes = new Int32Array(cfg.txRingSize);
    this.txFrames = new Uint32Array(cfg.txRingSize);
    this.txHdr = new Uint8Array(cfg.txRingSize);
    this.txDropped = new Uint8Array(cfg.txRingSize);
    this.dma = new DmaEngine(engine, host, null, {
      name: `${cfg.name ?? 'nic0'}-dma`, channels: 2, ringSize: [cfg.txRingSize, cfg.rxRingSize],
      setupNs: cfg.dma.setupNs, bytesPerSecond: cfg.dma.bytesPerSecond, errorRate: cfg.dmaErrorRate ?? 0, traceCompletions: false,
    });
    // The rings are the NIC's own: the DMA engine times byte counts and calls back dmaTimed/dmaDone.
    this.dma.bind(TX, this);
    this.dma.bind(RX, this);
    this.rxFaults = new RxDmaFaults(engine, this.src, this.stats.rx);
    if (cfg.txCoalesce !== undefined) irq.setCoalescing(cfg.txIrqLine, cfg.txCoalesce);
    if (cfg.rxCoalesce !== undefined) irq.setCoalescing(cfg.rxIrqLine, cfg.rxCoalesce);
  }

  /** Cables the NIC to one end of a link. */
  attach(link: Link, side: LinkSide): void {
    this.link = link;
    this.side = side;
    link.attach(side, this.port);
    link.onCarrierChange((imp) => {
      this.engine.trace.emit(this.src, 'nic.carrier', { up: imp.up });
      if (this.cfg.linkIrqLine !== undefined) this.irq.raise(this.cfg.linkIrqLine);
    });
  }

  get carrier(): boolean {
    return this.link !== null && this.link.impairments.up;
  }

  /** Interrupt coalescing for tx or rx completions (ethtool -C). */
  setCoalescing(queue: 'tx' | 'rx', c: IrqCoalescing | null): void {
    this.irq.setCoalescing(queue === 'tx' ? this.cfg.txIrqLine : this.cfg.rxIrqLine, c);
  }

  /**
   * From now on, the rx DMA flips one bit of a received payload with probability `rate` per
   * packet, after checksum verification (a fault TCP cannot see). 0 turns it off.
   */
  setRxDmaCorruption(rate: number): void {
    this.rxFaults.setCorruption(rate);
  }

  // ---- tx ----

  get txRingFree(): number {
    return this.txRingSize - (this.txTail - this.txHead);
  }

  txPost(p: Packet, cookie = 0): boolean {
    if (this.txTail - this.txHead >= this.txRingSize) return false;
    const hdr = frameHeaderBytes(p);
    const len = p.payload.length;
    const frames = frameCount(p);
    const largest = maxFrameIpBytes(p, hdr, frames);
    if (largest > this.mtu) {
      throw new RangeError(`${this.src}: tx frame of ${largest} IPv4 bytes exceeds mtu ${this.mtu} (payload ${len}, gsoSize ${p.gsoSize})`);
    }
    const slot = this.txTailSlot;
    this.txTailSlot = slot + 1 === this.txRingSize ? 0 : slot + 1;
    this.txPkts[slot] = p;
    this.txBytes[slot] = frames * hdr + len;
    this.txFrames[slot] = frames;
    this.txHdr[slot] = hdr;
    this.txCookies[slot] = cookie;
    this.txTail++;
    return true;
  }

  txDoorbell(): void {
    while (this.txFetched < this.txTail) {
      const slot = this.txFetchedSlot;
      this.txFetchedSlot = slot + 1 === this.txRingSize ? 0 : slot + 1;
      this.txFetched++;
      this.txSubmitSlot = slot;
      // The DMA ring is as large as the tx ring, which bounds what is posted: it always fits.
      this.dma.submitBytes(TX, this.txBytes[slot]!);
    }
  }

  /** The DMA engine times a transfer (at submission): a tx packet goes on the wire at its end. */
  dmaTimed(channel: number, status: DmaStatus, endNs: Ns): Ns {
    return channel === TX ? this.txOnWire(this.txSubmitSlot, status, endNs) : endNs;
  }

  /** A DMA transfer completed (the engine's event, in submission order per channel). */
  dmaDone(channel: number, status: DmaStatus): void {
    if (channel === TX) this.txComplete();
    else this.rxDmaDone(status);
  }

  /**
   * The packet's fetch ends at `dmaEnd`: onto the wire then, or dropped (carrier down, failed
   * DMA). Returns when its descriptor completes: its last bit has left (or the drop).
   */
  private txOnWire(slot: number, status: DmaStatus, dmaEnd: Ns): Ns {
    const p = this.txPkts[slot]!;
    const frames = this.txFrames[slot]!;
    const st = this.stats.tx;
    if (status === 'ok' && this.link !== null && this.link.impairments.up === true) {
      st.packets++;
      st.frames += frames;
      st.bytes += this.txBytes[slot]!;
      this.txDropped[slot] = 0;
      return this.link.transmit(this.side, p, dmaEnd, frames, this.txHdr[slot]!);
    }
    st.drops += frames;
    if (status === 'error') st.dmaErrors++;
    this.txDropped[slot] = 1;
    return dmaEnd;
  }

  txReap(out?: number[]): number {
    let n = 0;
    while (this.txHead < this.txDone) {
      const slot = this.txHeadSlot;
      this.txHeadSlot = slot + 1 === this.txRingSize ? 0 : slot + 1;
      if (out) out.push(this.txCookies[slot]!);
      this.txPkts[slot] = null;
      this.txHead++;
      n++;
    }
    return n;
  }

  private txComplete(): void {
    const slot = this.txDoneSlot;
    this.txDoneSlot = slot + 1 === this.txRingSize ? 0 : slot + 1;
    this.txDone++;
    const tr = this.engine.trace;
    if (tr.enabled === true) {
      const p = this.txPkts[slot]!;
      TRACE_TX.emit(tr, this.traceSrc, p.tcp ? p.tcp.seq >>> 0 : -1, p.payload.length, frameCount(p), this.txDropped[slot] === 1 ? true : undefined, p.rids);
    }
    this.irq.raise(this.txIrqLine);
  }

  // ---- rx ----

  get rxFree(): number {
    return this.rxFreeN;
  }

  get rxReady(): number {
    return this.rxReadyN;
  }

  rxPostBuffers(n: number): number {
    const room = this.rxRingSize - this.rxFreeN - this.rxHeldFrames;
    const k = n < room ? n : room;
    if (k > 0) this.rxFreeN += k;
    return k > 0 ? k : 0;
  }

  /** Writes the packets to out[at], out[at + 1], ... (default: appends). */
  rxPoll(budget: number, out: (Packet | null)[], at = out.length): number {
    let n = 0;
    while (n < budget && this.rxReadyN > 0) {
      const p = this.rxQ.shift();
      this.rxReadyN--;
      this.rxHeldFrames -= frameCount(p);
      out[at + n] = p;
      n++;
    }
    return n;
  }

  /** `frames`, `hdr`: frameCount(p) and frameHeaderBytes(p), from the link. */
  private receive(p: Packet, frames: number, hdr: number): void {
    const st = this.stats.rx;
    if (maxFrameIpBytes(p, hdr, frames) > this.mtu) {
      st.drops += frames;
      this.engine.trace.emit(this.src, 'nic.rxdrop', { why: 'mtu', frames });
      return;
    }
    let pkt = p;
    if (frames > this.rxFreeN) {
      const lost = frames - this.rxFreeN;
      st.overruns += lost;
      this.engine.trace.emit(this.src, 'nic.overrun', { frames: lost });
      if (this.rxFreeN === 0) return;
      pkt = headFrames(p, this.rxFreeN);
      frames = this.rxFreeN;
    }
    this.rxFreeN -= frames;
    this.rxHeldFrames += frames;
    const bytes = frames * hdr + pkt.payload.length;
    st.packets++;
    st.frames += frames;
    st.bytes += bytes;
    this.rxQ.push(pkt);
    // The DMA ring is as large as the rx ring, and every packet in it holds a descriptor: it fits.
    this.dma.submitBytes(RX, bytes);
  }

  private rxDmaDone(status: DmaStatus): void {
    const tr = this.engine.trace;
    if (status === 'error') {
      this.rxHeldFrames -= frameCount(this.rxFaults.drop(this.rxQ, this.rxReadyN));
      return;
    }
    if (this.rxFaults.corruptRate > 0) this.rxFaults.maybeCorrupt(this.rxQ, this.rxReadyN);
    if (tr.enabled === true) {
      const p = this.rxQ.at(this.rxReadyN)!;
      TRACE_RX.emit(tr, this.traceSrc, p.tcp ? p.tcp.seq >>> 0 : -1, p.payload.length, frameCount(p), p.rids);
    }
    this.rxReadyN++;
    this.irq.raise(this.rxIrqLine);
  }
}

