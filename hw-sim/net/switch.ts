/**
 * Output-queued Ethernet switch forwarding by destination IP (static table, filled by the fabric
 * builder). Each port's output queue holds at most `queueFrames` frames: frames committed to the
 * port's link and not yet fully sent. A packet that does not fit is tail-dropped; a TSO chunk that
 * only partly fits keeps its head frames. Forwarding is frame by frame (a chunk's first frame may
 * leave as soon as it has arrived, plus forwardingNs), so a chunk does not pay store-and-forward
 * of the whole chunk at each hop.
 */
import type { Engine } from '../engine/engine.ts';
import { assertNs, type Ns } from '../engine/time.ts';
import { TaggedFifo } from './fifo.ts';
import { headFrames } from './gso.ts';
import type { FrameReceiver, Link, LinkSide } from './link.ts';
import { ipToString, type IpAddr, type Packet } from './packet.ts';

export interface SwitchConfig {
  /** Device name in the trace. Default `sw0`. */
  name?: string;
  ports: number;
  /** Output queue bound per port, in frames. */
  queueFrames: number;
  /** Lookup latency added before a frame can leave. Default 0. */
  forwardingNs?: Ns;
}

export interface SwitchPortStats {
  rxFrames: number;
  txFrames: number;
  /** Frames tail-dropped at this port's output queue. */
  drops: number;
  /** Frames received on this port with no route for their destination. */
  noRoute: number;
}

interface Port {
  readonly index: number;
  link: Link | null;
  side: LinkSide;
  /** What sits in the output queue, oldest first: completion time (x) and frame count (y). */
  readonly queue: TaggedFifo<null>;
  /** The route last looked up for a packet arriving here (a port's traffic mostly goes one way); -1: none (addresses are unsigned). */
  lastDst: IpAddr;
  lastOut: number | undefined;
  queued: number;
  readonly stats: SwitchPortStats;
  readonly rx: FrameReceiver;
}

export class Switch {
  readonly src: string;
  private readonly ports: Port[] = [];
  private readonly routes = new Map<IpAddr, number>();
  private readonly queueFrames: number;
  private readonly forwardingNs: Ns;

  constructor(private readonly engine: Engine, readonly host: string, cfg: SwitchConfig) {
    this.src = `${host}/${cfg.name ?? 'sw0'}`;
    if (!Number.isInteger(cfg.ports) || cfg.ports < 1) throw new RangeError(`${this.src}: ports must be a positive integer, got ${cfg.ports}`);
    if (!Number.isInteger(cfg.queueFrames) || cfg.queueFrames < 1) throw new RangeError(`${this.src}: queueFrames must be a positive integer, got ${cfg.queueFrames}`);
    this.queueFrames = cfg.queueFrames;
    this.forwardingNs = assertNs(cfg.forwardingNs ?? 0, `${this.src}: forwardingNs`);
    for (let i = 0; i < cfg.ports; i++) {
      const index = i;
      this.ports.push({
        index, link: null, side: 'b', queue: new TaggedFifo<null>(), queued: 0, lastDst: -1, lastOut: undefined,
        stats: { rxFrames: 0, txFrames: 0, drops: 0, noRoute: 0 },
        rx: { receive: (p, first, frames, hdr) => this.forward(index, p, first, frames, hdr) },
      });
    }
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** Plugs `link` into `port`; the switch is the link's `side` end. */
  connect(port: number, link: Link, side: LinkSide): void {
    const pt = this.port(port);
    if (pt.link) throw new Error(`${this.src}: port ${port} already connected to ${pt.link.name}`);
    pt.link = link;
    pt.side = side;
    link.attach(side, pt.rx);
  }

  /** First port with no link, or -1. */
  freePort(): number {
    return this.ports.findIndex((p) => p.link === null);
  }

  addRoute(dst: IpAddr, port: number): void {
    this.port(port);
    this.routes.set(dst, port);
    for (const pt of this.ports) pt.lastDst = -1;
  }

  stats(port: number): Readonly<SwitchPortStats> {
    return this.port(port).stats;
  }

  /** Frames in a port's output queue now. */
  queueDepth(port: number): number {
    const pt = this.port(port);
    this.drain(pt);
    return pt.queued;
  }

  private forward(inPort: number, p: Packet, firstFrameNs: Ns, frames: number, hdr: number): void {
    const inPt = this.ports[inPort]!;
    inPt.stats.rxFrames += frames;
    let out = inPt.lastOut;
    if (p.dst !== inPt.lastDst) {
      out = this.routes.get(p.dst);
      inPt.lastDst = p.dst;
      inPt.lastOut = out;
    }
    const pt = out === undefined ? undefined : this.ports[out];
    if (pt === undefined || pt.link === null) {
      inPt.stats.noRoute += frames;
      this.engine.trace.emit(this.src, 'sw.noroute', { port: inPort, dst: ipToString(p.dst), frames });
      return;
    }
    this.drain(pt);
    let pkt = p;
    let n = frames;
    const room = this.queueFrames - pt.queued;
    if (n > room) {
      pt.stats.drops += n - (room > 0 ? room : 0);
      this.engine.trace.emit(this.src, 'sw.drop', { port: pt.index, frames: n - (room > 0 ? room : 0), queued: pt.queued });
      if (room <= 0) return;
      pkt = headFrames(p, room);
      n = room;
    }
    // The head frames keep the chunk's headers (SYN options stay on the first).
    const end = pt.link.transmit(pt.side, pkt, firstFrameNs + this.forwardingNs, n, hdr);
    pt.queue.push(null, end, n);
    pt.queued += n;
    pt.stats.txFrames += n;
  }

  /** Forgets queue entries whose last bit has left. */
  private drain(pt: Port): void {
    const now = this.engine.now;
    const q = pt.queue;
    while (q.length > 0 && q.peekX() <= now) {
      q.shift();
      pt.queued -= q.y;
    }
  }

  private port(i: number): Port {
    const p = this.ports[i];
    if (!p) throw new RangeError(`${this.src}: no port ${i} (ports 0..${this.ports.length - 1})`);
    return p;
  }
}
