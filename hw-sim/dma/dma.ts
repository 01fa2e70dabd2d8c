/**
 * DMA engine: channels, each with a bounded descriptor ring, processing its descriptors one at a
 * time in order. A descriptor is a scatter-gather list of {src, dst} Uint8Array views of equal
 * length; the bytes are really copied when the descriptor completes, at
 *   start + setupNs + ceil(bytes · 1e9 / bytesPerSecond)
 * where start is when the channel is free. Channels run in parallel (no shared-bus contention).
 * A completion calls the descriptor's `onComplete`, frees its ring slot and raises the IRQ line.
 * Errors: a rate drawn per descriptor from the stream `<host>/<name>/error`, or `failNext(n)`;
 * a failed descriptor copies nothing and completes with status 'error'.
 */
import type { Engine } from '../engine/engine.ts';
import type { Rng } from '../engine/rng.ts';
import type { Ns } from '../engine/time.ts';
import type { InterruptController } from '../irq/controller.ts';
import { checkDmaCostModel, dmaCostNs, type DmaCostModel } from './cost.ts';

export interface DmaSegment {
  src: Uint8Array;
  dst: Uint8Array;
}

export type DmaStatus = 'ok' | 'error';

export interface DmaDescriptor {
  segments: DmaSegment[];
  /** Called at completion, before the IRQ is raised. */
  onComplete?: (status: DmaStatus, d: DmaDescriptor) => void;
}

export interface DmaConfig extends DmaCostModel {
  /** Device name in the trace and RNG streams. Default `dma0`. */
  name?: string;
  channels: number;
  /** Descriptors a channel holds (queued + in progress). */
  ringSize: number;
  /** Line raised at every completion (none when omitted). */
  irqLine?: number;
  /** Probability that a descriptor fails. */
  errorRate?: number;
}

export interface DmaChannelStats {
  submitted: number;
  completed: number;
  errors: number;
  bytes: number;
  /** Submissions refused because the ring was full. */
  ringFull: number;
}

interface InFlight {
  d: DmaDescriptor;
  bytes: number;
  end: Ns;
}

interface Channel {
  readonly index: number;
  readonly ring: InFlight[];
  busyUntil: Ns;
  readonly stats: DmaChannelStats;
  readonly onDone: () => void;
}

export class DmaEngine {
  readonly src: string;
  private readonly channels: Channel[] = [];
  private readonly errRng: Rng;
  private errorRate: number;
  private failBudget = 0;

  constructor(private readonly engine: Engine, readonly host: string, private readonly irq: InterruptController | null, private readonly cfg: DmaConfig) {
    this.src = `${host}/${cfg.name ?? 'dma0'}`;
    checkDmaCostModel(cfg, this.src);
    if (!Number.isInteger(cfg.channels) || cfg.channels < 1) throw new RangeError(`${this.src}: channels must be a positive integer, got ${cfg.channels}`);
    if (!Number.isInteger(cfg.ringSize) || cfg.ringSize < 1) throw new RangeError(`${this.src}: ringSize must be a positive integer, got ${cfg.ringSize}`);
    this.errRng = engine.rng.get(`${this.src}/error`);
    this.errorRate = 0;
    this.setErrorRate(cfg.errorRate ?? 0);
    for (let i = 0; i < cfg.channels; i++) {
      const ch: Channel = {
        index: i, ring: [], busyUntil: 0,
        stats: { submitted: 0, completed: 0, errors: 0, bytes: 0, ringFull: 0 },
        onDone: () => this.complete(ch),
      };
      this.channels.push(ch);
    }
  }

  /** Cost of one descriptor of `bytes`: setup + bytes / bandwidth. */
  costNs(bytes: number): Ns {
    return dmaCostNs(this.cfg, bytes);
  }

  setErrorRate(p: number): void {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${this.src}: errorRate must be in [0, 1], got ${p}`);
    this.errorRate = p;
  }

  /** The next `n` descriptors to complete (on any channel) fail. */
  failNext(n: number): void {
    this.failBudget += n;
  }

  /** Free slots in a channel's ring. */
  ringFree(channel: number): number {
    return this.cfg.ringSize - this.chan(channel).ring.length;
  }

  stats(channel: number): Readonly<DmaChannelStats> {
    return this.chan(channel).stats;
  }

  /** Queues a descriptor; false (and nothing queued) when the ring is full. */
  submit(channel: number, d: DmaDescriptor): boolean {
    const ch = this.chan(channel);
    if (ch.ring.length >= this.cfg.ringSize) {
      ch.stats.ringFull++;
      this.engine.trace.emit(this.src, 'dma.ring-full', { ch: channel });
      return false;
    }
    let bytes = 0;
    for (let i = 0; i < d.segments.length; i++) {
      const s = d.segments[i]!;
      if (s.src.length !== s.dst.length) {
        throw new RangeError(`${this.src}: channel ${channel} segment ${i}: src is ${s.src.length} bytes but dst is ${s.dst.length}`);
      }
      bytes += s.src.length;
    }
    const now = this.engine.now;
    const start = ch.busyUntil > now ? ch.busyUntil : now;
    const end = start + dmaCostNs(this.cfg, bytes);
    ch.busyUntil = end;
    ch.ring.push({ d, bytes, end });
    ch.stats.submitted++;
    // Completions of one channel are in submission order, so one bound callback pops the head.
    this.engine.scheduleAt(end, ch.onDone, 'dma.done');
    return true;
  }

  private complete(ch: Channel): void {
    const f = ch.ring.shift()!;
    let status: DmaStatus = 'ok';
    if (this.failBudget > 0) {
      this.failBudget--;
      status = 'error';
    } else if (this.errorRate > 0 && this.errRng.chance(this.errorRate)) {
      status = 'error';
    }
    if (status === 'ok') {
      const segs = f.d.segments;
      for (let i = 0; i < segs.length; i++) segs[i]!.dst.set(segs[i]!.src);
      ch.stats.completed++;
      ch.stats.bytes += f.bytes;
    } else {
      ch.stats.errors++;
    }
    const tr = this.engine.trace;
    if (tr.enabled) tr.emit(this.src, 'dma.complete', { ch: ch.index, bytes: f.bytes, status });
    f.d.onComplete?.(status, f.d);
    if (this.irq && this.cfg.irqLine !== undefined) this.irq.raise(this.cfg.irqLine);
  }

  private chan(channel: number): Channel {
    const ch = this.channels[channel];
    if (!ch) throw new RangeError(`${this.src}: no channel ${channel} (channels 0..${this.channels.length - 1})`);
    return ch;
  }
}
