/**
 * Full-duplex point-to-point link between side 'a' and side 'b'.
 *
 * Each direction serialises: a packet occupies the wire for serialisationNs(wireBytes(p), rate)
 * from when the wire is free, then arrives propagationNs (+ jitter) later. Jitter is a uniform
 * integer in [0, jitterNs] per packet from `<host>/<link>/jitter`; it never reorders (arrival is
 * clamped to the previous arrival); reordering is the `reorder` impairment.
 *
 * A TSO chunk is one event, delivered when its last frame has arrived. Impairments are decided
 * at arrival (so a change at time t affects everything arriving after t), per frame: if no frame
 * of a chunk is impaired the chunk is delivered whole; otherwise it is split with splitGso and
 * each frame is dropped / corrupted / duplicated / delayed on its own. Taps see what is delivered
 * (a capture at the receiving end of the wire), frame by frame.
 */
import type { Engine } from '../engine/engine.ts';
import type { EventLane } from '../engine/event-lane.ts';
import type { Rng } from '../engine/rng.ts';
import { assertNs, serialisationNs, type Ns } from '../engine/time.ts';
import { TaggedFifo } from './fifo.ts';
import { frameWireBytes, splitGso } from './gso.ts';
import { applyImpairments, corruptPacket, NO_IMPAIRMENTS, type Impairments } from './impairments.ts';
import { frameCount, frameHeaderBytes, wireBytesOf, type Packet } from './packet.ts';
import { traceShape, traceSource, type TraceSource } from '../engine/trace.ts';

const TRACE_FRAME = traceShape('frame', ['dir', 'seq', 'bytes', 'frames', 'corrupt', 'rids']);

export type LinkSide = 'a' | 'b';
export type LinkDirection = 'a->b' | 'b->a';

/** Whatever sits at a link end: a NIC or a switch port. */
export interface FrameReceiver {
  /**
   * `p` has fully arrived now; its first frame had fully arrived at `firstFrameNs` (≤ now); it is
   * `frames` wire frames of `hdr` IPv4 + L4 header bytes each (frameCount(p) and
   * frameHeaderBytes(p), which the sender has worked out already: one count per packet, not per hop).
   */
  receive(p: Packet, firstFrameNs: Ns, frames: number, hdr: number): void;
}

/** Sees every delivered packet; frame k's first bit left the sender at wireStartNs + Σ earlier frames. */
export interface LinkTap {
  onDeliver(link: Link, dir: LinkDirection, p: Packet, wireStartNs: Ns, delayNs: Ns): void;
}

export interface LinkConfig {
  name: string;
  /** Line rate in bits per second. */
  rateBps: number;
  propagationNs: Ns;
  jitterNs?: Ns;
  impairments?: Partial<Impairments>;
}

export interface LinkDirStats {
  packets: number;
  frames: number;
  wireBytes: number;
  deliveredFrames: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Frames dropped by a partition or a down link. */
  blocked: number;
}

const LOST = 1, DUP = 2, REORDER = 4, CORRUPT = 8;

function isClean(imp: Readonly<Impairments>): boolean {
  return imp.up && imp.partition === 'none' && imp.loss === 0 && imp.duplicate === 0 && imp.reorder === 0 && imp.corrupt === 0;
}

class Direction {
  to: FrameReceiver | null = null;
  busyUntil: Ns = 0;
  lastArrival: Ns = 0;
  /** Packets on the wire, with their wire start (x), their first frame's arrival (y), frames (z) and header bytes a frame (w). */
  readonly inflight = new TaggedFifo<Packet>();
  readonly stats: LinkDirStats = { packets: 0, frames: 0, wireBytes: 0, deliveredFrames: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, blocked: 0 };
  /** Arrivals (their times never decrease: jitter is clamped), one engine event each. */
  arrivals: EventLane | null = null;
  constructor(readonly name: LinkDirection) {}
}

export class Link {
  readonly src: string;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  readonly name: string;
  readonly rateBps: number;
  readonly propagationNs: Ns;
  readonly jitterNs: Ns;
  private imp: Impairments;
  private readonly ab = new Direction('a->b');
  private readonly ba = new Direction('b->a');
  private readonly rJitter: Rng;
  private readonly rLoss: Rng;
  private readonly rDup: Rng;
  private readonly rReorder: Rng;
  private readonly rCorrupt: Rng;
  private readonly taps: LinkTap[] = [];
  private readonly listeners: Array<(imp: Readonly<Impairments>) => void> = [];
  private flags = new Uint8Array(64);
  /** Up, no partition and no impairment drawn per frame: arrivals are delivered whole without a look at `imp`. */
  private clean = true;
  /**
   * Serialisation times of a TSO chunk's full frame and of its last frame, for frames of
   * `fullFrameIp` / `lastFrameIp` IPv4 bytes (-1: none yet). Chunks repeat their sizes; transmit,
   * over V8's inlining budget, called frameWireBytes and serialisationNs per forwarded chunk.
   */
  private fullFrameIp = -1;
  private fullFrameSer = 0;
  private lastFrameIp = -1;
  private lastFrameSer = 0;

  constructor(private readonly engine: Engine, readonly host: string, cfg: LinkConfig) {
    this.name = cfg.name;
    this.src = `${host}/${cfg.name}`;
    this.traceSrc = traceSource(this.src);
    if (!(cfg.rateBps > 0) || !Number.isFinite(cfg.rateBps)) throw new RangeError(`${this.src}: rateBps must be a positive number, got ${cfg.rateBps}`);
    this.rateBps = cfg.rateBps;
    this.propagationNs = assertNs(cfg.propagationNs, `${this.src}: propagationNs`);
    this.jitterNs = assertNs(cfg.jitterNs ?? 0, `${this.src}: jitterNs`);
    this.imp = applyImpairments(NO_IMPAIRMENTS, cfg.impairments ?? {}, this.src);
    this.clean = isClean(this.imp);
    const r = engine.rng;
    this.rJitter = r.get(`${this.src}/jitter`);
    this.rLoss = r.get(`${this.src}/loss`);
    this.rDup = r.get(`${this.src}/duplicate`);
    this.rReorder = r.get(`${this.src}/reorder`);
    this.rCorrupt = r.get(`${this.src}/corrupt`);
    this.ab.arrivals = engine.lane(() => this.arrive(this.ab), 'link.arrive');
    this.ba.arrivals = engine.lane(() => this.arrive(this.ba), 'link.arrive');
  }

  /** Connects the receiver at one end (it receives what the other end transmits). */
  attach(side: LinkSide, rx: FrameReceiver): void {
    (side === 'a' ? this.ba : this.ab).to = rx;
  }

  get impairments(): Readonly<Impairments> {
    return this.imp;
  }

  /** Changes impairments now; unspecified fields keep their value. */
  setImpairments(patch: Partial<Impairments>): void {
    const wasUp = this.imp.up;
    this.imp = applyImpairments(this.imp, patch, this.src);
    this.clean = isClean(this.imp);
    this.engine.trace.emit(this.src, 'link.impair', { ...this.imp });
    if (wasUp !== this.imp.up) for (const fn of this.listeners) fn(this.imp);
  }

  /** Called when the carrier (`up`) changes. */
  onCarrierChange(fn: (imp: Readonly<Impairments>) => void): void {
    this.listeners.push(fn);
  }

  addTap(tap: LinkTap): void {
    this.taps.push(tap);
  }

  stats(dir: LinkDirection): Readonly<LinkDirStats> {
    return dir === 'a->b' ? this.ab.stats : this.ba.stats;
  }

  /** Time the wire of `from`'s direction is busy until. */
  busyUntil(from: LinkSide): Ns {
    return (from === 'a' ? this.ab : this.ba).busyUntil;
  }

  /**
   * Puts `p` on the wire from side `from`, no earlier than `earliestNs` (default now; a switch
   * forwarding frame by frame may pass a time in the past: the first frame's arrival). Returns
   * the time the last bit leaves the sender. A sender that has them passes frameCount(p) and
   * frameHeaderBytes(p).
   */
  transmit(from: LinkSide, p: Packet, earliestNs: Ns = this.engine.now, frames = frameCount(p), hdr = frameHeaderBytes(p)): Ns {
    const d = from === 'a' ? this.ab : this.ba;
    const now = this.engine.now;
    const len = p.payload.length;
    const wb = wireBytesOf(frames, hdr, len);
    const ser = serialisationNs(wb, this.rateBps);
    // A chunk's frames are full gsoSize ones but the last: the first has arrived firstSer after the start.
    let firstSer = ser;
    if (frames !== 1) {
      if (hdr + p.gsoSize !== this.fullFrameIp) {
        this.fullFrameIp = hdr + p.gsoSize;
        this.fullFrameSer = serialisationNs(frameWireBytes(hdr, p.gsoSize), this.rateBps);
      }
      firstSer = this.fullFrameSer;
    }
    let start = earliestNs > d.busyUntil ? earliestNs : d.busyUntil;
    if (start < now) {
      // The last frame cannot leave before it has arrived here.
      let lastSer = ser;
      if (frames !== 1) {
        const lastPayload = len - (frames - 1) * p.gsoSize;
        if (hdr + lastPayload !== this.lastFrameIp) {
          this.lastFrameIp = hdr + lastPayload;
          this.lastFrameSer = serialisationNs(frameWireBytes(hdr, lastPayload), this.rateBps);
        }
        lastSer = this.lastFrameSer;
      }
      const min = now - (ser - lastSer);
      if (start < min) start = min;
    }
    const end = start + ser;
    d.busyUntil = end;
    let arrival = end + this.propagationNs;
    if (this.jitterNs > 0) arrival += this.rJitter.int(this.jitterNs + 1);
    if (arrival < d.lastArrival) arrival = d.lastArrival;
    d.lastArrival = arrival;
    d.inflight.push(p, start, start + (arrival - end) + firstSer, frames, hdr);
    const st = d.stats;
    st.packets++;
    st.frames += frames;
    st.wireBytes += wb;
    d.arrivals!.post(arrival);
    return end;
  }

  private arrive(d: Direction): void {
    const q = d.inflight;
    const p = q.shift();
    // `=== true/false`: a bare truth test of a field compiles to a check for every falsy kind of value.
    // Clean and no taps (the delay after the wire is for taps only): the short path, kept small
    // enough to be inlined into the lane's callback.
    if (this.clean === true && this.taps.length === 0) {
      this.deliver(d, p, q.z, q.w, q.x, 0, q.y);
      return;
    }
    this.arriveImpaired(d, p, q.z, q.w, q.x, q.y);
  }

  /** An arrival with taps to tell or impairments to apply. */
  private arriveImpaired(d: Direction, p: Packet, frames: number, hdr: number, start: Ns, first: Ns): void {
    const delay = this.delayAfterWire(p, frames, hdr, start);
    const imp = this.imp;
    if (this.clean === true) {
      this.deliver(d, p, frames, hdr, start, delay, first);
      return;
    }
    if (!imp.up || imp.partition === 'both' || imp.partition === d.name) {
      d.stats.blocked += frames;
      this.engine.trace.emit(this.src, 'link.drop', { dir: d.name, why: imp.up ? 'partition' : 'down', frames });
      return;
    }
    if (imp.loss === 0 && imp.duplicate === 0 && imp.reorder === 0 && imp.corrupt === 0) {
      this.deliver(d, p, frames, hdr, start, delay, first);
      return;
    }
    this.impair(d, p, frames, hdr, start, delay, first);
  }

  /** Propagation and jitter of a packet arriving now that went on the wire at `start`: now − its end on the wire. */
  private delayAfterWire(p: Packet, frames: number, hdr: number, start: Ns): Ns {
    return this.engine.now - start - serialisationNs(wireBytesOf(frames, hdr, p.payload.length), this.rateBps);
  }

  /** Per-frame impairment draws; the chunk is split only when some frame is impaired. */
  private impair(d: Direction, p: Packet, frames: number, hdr: number, start: Ns, delay: Ns, firstFrameNs: Ns): void {
    const imp = this.imp;
    if (this.flags.length < frames) this.flags = new Uint8Array(frames * 2);
    const flags = this.flags;
    let any = 0;
    for (let k = 0; k < frames; k++) {
      let f = 0;
      if (this.rLoss.chance(imp.loss)) f = LOST;
      else {
        if (this.rDup.chance(imp.duplicate)) f |= DUP;
        if (this.rReorder.chance(imp.reorder)) f |= REORDER;
        if (this.rCorrupt.chance(imp.corrupt)) f |= CORRUPT;
      }
      flags[k] = f;
      any |= f;
    }
    if (any === 0) {
      this.deliver(d, p, frames, hdr, start, delay, firstFrameNs);
      return;
    }
    const parts = frames === 1 ? [p] : splitGso(p);
    const st = d.stats;
    let frameStart = start;
    for (let k = 0; k < frames; k++) {
      let q = parts[k]!;
      const f = flags[k]!;
      const fStart = frameStart;
      // A frame of a split chunk: SYN options only on the first (its own header size).
      const hdr1 = frames === 1 ? hdr : frameHeaderBytes(q);
      frameStart += serialisationNs(frameWireBytes(hdr1, q.payload.length), this.rateBps);
      if (f & LOST) {
        st.lost++;
        this.engine.trace.emit(this.src, 'link.drop', { dir: d.name, why: 'loss', frames: 1 });
        continue;
      }
      if (f & CORRUPT) {
        q = corruptPacket(q, this.rCorrupt);
        st.corrupted++;
      }
      const copies = f & DUP ? 2 : 1;
      if (f & DUP) st.duplicated++;
      if (f & REORDER) {
        st.reordered++;
        const held = q;
        // Delivered reorderDelayNs from now; frameStart is now this frame's end on the wire.
        const heldDelay = this.engine.now + imp.reorderDelayNs - frameStart;
        this.engine.schedule(imp.reorderDelayNs, () => {
          for (let c = 0; c < copies; c++) this.deliver(d, held, 1, hdr1, fStart, heldDelay, this.engine.now);
        }, 'link.reorder');
      } else {
        for (let c = 0; c < copies; c++) this.deliver(d, q, 1, hdr1, fStart, delay, this.engine.now);
      }
    }
  }

  /** `firstFrameNs`: when the first frame had fully arrived (a one-frame packet: now). */
  private deliver(d: Direction, p: Packet, frames: number, hdr: number, start: Ns, delay: Ns, firstFrameNs: Ns): void {
    d.stats.deliveredFrames += frames;
    for (let i = 0; i < this.taps.length; i++) this.taps[i]!.onDeliver(this, d.name, p, start, delay);
    const now = this.engine.now;
    const tr = this.engine.trace;
    if (tr.enabled === true) TRACE_FRAME.emit(tr, this.traceSrc, d.name, p.tcp ? p.tcp.seq >>> 0 : -1, p.payload.length, frames, p.corrupt || undefined, p.rids);
    if (d.to !== null) d.to.receive(p, firstFrameNs < now ? firstFrameNs : now, frames, hdr);
  }
}
