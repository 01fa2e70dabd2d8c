/**
 * DMA engine: channels, each with a bounded descriptor ring, processing its descriptors one at a
 * time in order. A descriptor moves bytes: a scatter-gather list of {src, dst} Uint8Array views
 * of equal length, copied when the descriptor completes, or `bytes` handed over by reference (a
 * NIC's packets: timed, nothing copied). The transfer runs from
 *   start = max(now, notBefore, the channel free)   to   start + setupNs + ceil(bytes · 1e9 / bytesPerSecond)
 * Channels run in parallel (no shared-bus contention). A completion calls the descriptor's
 * `onComplete`, frees its ring slot and raises the IRQ line (when the engine has one). A device
 * whose descriptor completes after more work of its own (a NIC's tx: when the packet's last bit
 * has left) says when with `completesAt`; the completion is still the one event per descriptor.
 * Errors: a rate drawn per descriptor at submission from the stream `<host>/<name>/error`, or
 * `failNext(n)`; a failed descriptor copies nothing and completes with status 'error'.
 * A device that keeps its own descriptor ring (the NIC) binds a channel to itself and submits
 * byte counts (`submitBytes`): same timing, fates and completions, without a descriptor object or
 * a callback per descriptor.
 */
import type { Engine } from '../engine/engine.ts';
import type { EventLane } from '../engine/event-lane.ts';
import type { Rng } from '../engine/rng.ts';
import type { Ns } from '../engine/time.ts';
import type { InterruptController } from '../irq/controller.ts';
import { checkDmaCostModel, dmaCostNs, transferNs, type DmaCostModel } from './cost.ts';

export interface DmaSegment {
  src: Uint8Array;
  dst: Uint8Array;
}

export type DmaStatus = 'ok' | 'error';

export interface DmaDescriptor {
  /** Copied at completion (src → dst). */
  segments?: readonly DmaSegment[];
  /** Bytes moved by reference (nothing copied), timed like segments of that length. */
  bytes?: number;
  /** The transfer starts no earlier (a disk reads its media first). Default: now. */
  notBefore?: Ns;
  /**
   * Called at submission with the descriptor's fate and its transfer's end: when it completes
   * (not before that end; completions of a channel stay in ring order). Default: at the end.
   */
  completesAt?: (status: DmaStatus, endNs: Ns) => Ns;
  /** Called at completion, before the IRQ is raised. */
  onComplete?: (status: DmaStatus, d: DmaDescriptor) => void;
}

/**
 * A reusable descriptor of bytes moved by reference, every field present in one order: a device
 * keeps its descriptors and rewrites `bytes` (and `notBefore`), and the engine's reads of them see
 * one object shape whichever device submitted (three shapes made each read a chain of map checks).
 */
export function byReference(onComplete: (status: DmaStatus, d: DmaDescriptor) => void,
  completesAt?: (status: DmaStatus, endNs: Ns) => Ns): DmaDescriptor {
  return { segments: undefined, bytes: 0, notBefore: 0, completesAt, onComplete };
}

/** A device that keeps its own descriptors, bound to a channel (`bind`). */
export interface DmaDevice {
  /**
   * At submission: the transfer's fate and end; returns when it completes (not before that end;
   * completions of a channel stay in ring order).
   */
  dmaTimed(channel: number, status: DmaStatus, endNs: Ns): Ns;
  /** At completion, in submission order, before the IRQ is raised. */
  dmaDone(channel: number, status: DmaStatus): void;
}

/** Ring size of every channel, or one per channel. */
export interface DmaConfig extends DmaCostModel {
  /** Device name in the trace and RNG streams. Default `dma0`. */
  name?: string;
  channels: number;
  /** Descriptors a channel holds (queued + in progress): one for all, or one per channel. */
  ringSize: number | readonly number[];
  /** Line raised at every completion (none when omitted). */
  irqLine?: number;
  /** Probability that a descriptor fails. */
  errorRate?: number;
  /** Trace a record per completion (default true); a device that traces its own says false. */
  traceCompletions?: boolean;
}

export interface DmaChannelStats {
  submitted: number;
  completed: number;
  errors: number;
  bytes: number;
  /** Submissions refused because the ring was full. */
  ringFull: number;
}

/** One channel: a circular ring of in-flight descriptors (no allocation per descriptor). */
interface Channel {
  readonly index: number;
  readonly size: number;
  readonly descs: Array<DmaDescriptor | null>;
  readonly bytes: Float64Array;
  /** 1: the descriptor's fate is an error. */
  readonly failed: Uint8Array;
  /** Completions in ring order (their times never decrease): one engine event each, from a lane. */
  readonly lane: EventLane;
  /** The device the channel is bound to (submitBytes), or null (descriptors). */
  device: DmaDevice | null;
  head: number;
  count: number;
  busyUntil: Ns;
  lastDone: Ns;
  readonly stats: DmaChannelStats;
}

export class DmaEngine {
  readonly src: string;
  private readonly channels: Channel[] = [];
  private readonly errRng: Rng;
  private errorRate: number;
  private failBudget = 0;
  private readonly traceCompletions: boolean;
  /** The cost model, copied out of the caller's config (whose shape varies by device). */
  private readonly setupNs: Ns;
  private readonly bytesPerSecond: number;
  /** The line raised at every completion, -1 for none (read per completion: not from the caller's config). */
  private readonly irqLine: number;

  constructor(private readonly engine: Engine, readonly host: string, private readonly irq: InterruptController | null, private readonly cfg: DmaConfig) {
    this.src = `${host}/${cfg.name ?? 'dma0'}`;
    this.traceCompletions = cfg.traceCompletions ?? true;
    checkDmaCostModel(cfg, this.src);
    this.setupNs = cfg.setupNs;
    this.bytesPerSecond = cfg.bytesPerSecond;
    this.irqLine = irq !== null && cfg.irqLine !== undefined ? cfg.irqLine : -1;
    if (!Number.isInteger(cfg.channels) || cfg.channels < 1) throw new RangeError(`${this.src}: channels must be a positive integer, got ${cfg.channels}`);
    const sizes = typeof cfg.ringSize === 'number' ? new Array<number>(cfg.channels).fill(cfg.ringSize) : cfg.ringSize;
    if (sizes.length !== cfg.channels) throw new RangeError(`${this.src}: ${sizes.length} ring sizes for ${cfg.channels} channels`);
    for (const n of sizes) if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.src}: ringSize must be a positive integer, got ${n}`);
    this.errRng = engine.rng.get(`${this.src}/error`);
    this.errorRate = 0;
    this.setErrorRate(cfg.errorRate ?? 0);
    for (let i = 0; i < cfg.channels; i++) {
      const size = sizes[i]!;
      const ch: Channel = {
        index: i, size, device: null, head: 0, count: 0, busyUntil: 0, lastDone: 0,
        descs: new Array<DmaDescriptor | null>(size).fill(null),
        bytes: new Float64Array(size),
        failed: new Uint8Array(size),
        lane: engine.lane(() => this.complete(ch), 'dma.done'),
        stats: { submitted: 0, completed: 0, errors: 0, bytes: 0, ringFull: 0 },
      };
      this.channels.push(ch);
    }
  }

  /** Cost of one descriptor of `bytes`: setup + bytes / bandwidth. */
  costNs(bytes: number): Ns {
    return dmaCostNs(this.cfg, bytes);
  }

  get currentErrorRate(): number {
    return this.errorRate;
  }

  setErrorRate(p: number): void {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${this.src}: errorRate must be in [0, 1], got ${p}`);
    this.errorRate = p;
  }

  /** The next `n` descriptors submitted (on any channel) fail. */
  failNext(n: number): void {
    this.failBudget += n;
  }

  /** Free slots in a channel's ring. */
  ringFree(channel: number): number {
    const ch = this.chan(channel);
    return ch.size - ch.count;
  }

  stats(channel: number): Readonly<DmaChannelStats> {
    return this.chan(channel).stats;
  }

  /** Queues a descriptor; false (and nothing queued) when the ring is full. */
  submit(channel: number, d: DmaDescriptor): boolean {
    const ch = this.chan(channel);
    if (ch.device !== null) throw new Error(`${this.src}: channel ${channel} is bound to a device (submitBytes)`);
    if (ch.count >= ch.size) return this.refuse(ch);
    let bytes = d.bytes ?? 0;
    const segs = d.segments;
    if (segs) {
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i]!;
        if (s.src.length !== s.dst.length) {
          throw new RangeError(`${this.src}: channel ${channel} segment ${i}: src is ${s.src.length} bytes but dst is ${s.dst.length}`);
        }
        bytes += s.src.length;
      }
    }
    const failed = this.fate();
    const now = this.engine.now;
    let start = ch.busyUntil > now ? ch.busyUntil : now;
    if (d.notBefore !== undefined && d.notBefore > start) start = d.notBefore;
    const end = start + this.setupNs + transferNs(bytes, this.bytesPerSecond);
    ch.busyUntil = end;
    const done = d.completesAt ? d.completesAt(failed ? 'error' : 'ok', end) : end;
    ch.descs[this.enqueue(ch, bytes, failed, end, done)] = d;
    return true;
  }

  /** Binds an idle channel to a device that keeps its own descriptors: it submits with submitBytes. */
  bind(channel: number, dev: DmaDevice): void {
    const ch = this.chan(channel);
    if (ch.count > 0) throw new Error(`${this.src}: channel ${channel} bound with ${ch.count} descriptors in flight`);
    ch.device = dev;
    // Its completions go straight to completeBound (no closure that asks which kind per event).
    ch.lane.retarget(() => this.completeBound(ch));
  }

  /**
   * Queues `bytes` moved by reference (timed only) on a bound channel, now: the device's dmaTimed
   * says when it completes, its dmaDone is called then. False when the ring is full. submit's
   * steps without a descriptor (one per packet on a NIC: kept short).
   */
  submitBytes(channel: number, bytes: number): boolean {
    const ch = this.chan(channel);
    if (ch.count >= ch.size) return this.refuse(ch);
    const failed = this.fate();
    const now = this.engine.now;
    const end = (ch.busyUntil > now ? ch.busyUntil : now) + this.setupNs + transferNs(bytes, this.bytesPerSecond);
    ch.busyUntil = end;
    this.enqueue(ch, bytes, failed, end, ch.device!.dmaTimed(channel, failed ? 'error' : 'ok', end));
    return true;
  }

  private refuse(ch: Channel): false {
    ch.stats.ringFull++;
    this.engine.trace.emit(this.src, 'dma.ring-full', { ch: ch.index });
    return false;
  }

  /** The next descriptor's fate, drawn at submission: true when it fails. */
  private fate(): boolean {
    if (this.failBudget > 0) {
      this.failBudget--;
      return true;
    }
    return this.errorRate > 0 && this.errRng.chance(this.errorRate);
  }

  /**
   * Takes the next ring slot (returned) for a transfer ending at `end` that completes at `done`,
   * no earlier than that end nor than the channel's last completion (ring order).
   */
  private enqueue(ch: Channel, bytes: number, failed: boolean, end: Ns, done: Ns): number {
    if (done < end) done = end;
    // Completions of one channel are in ring order, so one bound callback pops the head.
    if (done < ch.lastDone) done = ch.lastDone;
    ch.lastDone = done;
    let slot = ch.head + ch.count;
    if (slot >= ch.size) slot -= ch.size;
    ch.bytes[slot] = bytes;
    ch.failed[slot] = failed ? 1 : 0;
    ch.count++;
    ch.stats.submitted++;
    ch.lane.post(done);
    return slot;
  }

  /**
   * Power loss or reset: every descriptor of the channel vanishes without completing (nothing
   * copied, no callback); returns how many. The channel is free from now.
   */
  abort(channel: number): number {
    const ch = this.chan(channel);
    const n = ch.count;
    ch.lane.clear();
    for (let i = 0; i < n; i++) ch.descs[(ch.head + i) % ch.size] = null;
    ch.head = 0;
    ch.count = 0;
    ch.busyUntil = this.engine.now;
    ch.lastDone = this.engine.now;
    if (n > 0) this.engine.trace.emit(this.src, 'dma.abort', { ch: channel, dropped: n });
    return n;
  }

  private complete(ch: Channel): void {
    const slot = ch.head;
    const d = ch.descs[slot]!;
    const bytes = ch.bytes[slot]!;
    const status: DmaStatus = ch.failed[slot] === 1 ? 'error' : 'ok';
    ch.descs[slot] = null;
    ch.head = slot + 1 === ch.size ? 0 : slot + 1;
    ch.count--;
    if (status === 'ok') {
      const segs = d.segments;
      if (segs) for (let i = 0; i < segs.length; i++) segs[i]!.dst.set(segs[i]!.src);
      ch.stats.completed++;
      ch.stats.bytes += bytes;
    } else {
      ch.stats.errors++;
    }
    const tr = this.engine.trace;
    if (tr.enabled && (this.traceCompletions || status === 'error')) tr.emit(this.src, 'dma.complete', { ch: ch.index, bytes, status });
    if (d.onComplete) d.onComplete(status, d);
    if (this.irqLine >= 0) this.irq!.raise(this.irqLine);
  }

  /** complete() of a bound channel: no descriptor, the device is told. */
  private completeBound(ch: Channel): void {
    const slot = ch.head;
    const bytes = ch.bytes[slot]!;
    const ok = ch.failed[slot] === 0;
    ch.head = slot + 1 === ch.size ? 0 : slot + 1;
    ch.count--;
    if (ok) {
      ch.stats.completed++;
      ch.stats.bytes += bytes;
    } else {
      ch.stats.errors++;
    }
    const tr = this.engine.trace;
    if (tr.enabled === true && (this.traceCompletions || !ok)) tr.emit(this.src, 'dma.complete', { ch: ch.index, bytes, status: ok ? 'ok' : 'error' });
    ch.device!.dmaDone(ch.index, ok ? 'ok' : 'error');
    if (this.irqLine >= 0) this.irq!.raise(this.irqLine);
  }

  private chan(channel: number): Channel {
    const ch = this.channels[channel];
    if (ch === undefined) throw new RangeError(`${this.src}: no channel ${channel} (channels 0..${this.channels.length - 1})`);
    return ch;
  }
}
