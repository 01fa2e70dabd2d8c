import { TCP_ACK, TCP_RST, TCP_SYN, type Packet } from '../../../hw-sim/net/packet.ts';
import type { TcpHost } from './tcb.ts';
import { sendSyn } from './output.ts';
import { TcpSocket, type TcpSocketOptions } from './socket.ts';
import { replyRst } from './reset.ts';

export interface ListenOptions extends TcpSocketOptions {
  /** Accept queue plus half-open connections (SYN received) at most; then SYNs are dropped. */
  backlog?: number;
}

/**
 * A listening socket: answers SYNs with SYN-ACKs, and hands each connection that completes the
 * handshake to onAccept (or queues it for accept(); onAcceptable tells the owner).
 */
export class TcpListener {
  /** A new connection; set its callbacks here, data may follow at once. */
  onAccept: ((s: TcpSocket) => void) | null = null;
  onAcceptable: (() => void) | null = null;
  private readonly queue: TcpSocket[] = [];
  private readonly halfOpen = new Set<TcpSocket>();
  readonly backlog: number;
  closed = false;
  synDrops = 0;

  constructor(
    private readonly host: TcpHost,
    readonly port: number,
    private readonly opts: ListenOptions,
    private readonly unregister: (l: TcpListener) => void,
  ) {
    this.backlog = opts.backlog ?? host.tcpConfig.backlog;
  }

  /** The next established connection, or undefined. */
  accept(): TcpSocket | undefined {
    const s = this.queue.shift();
    if (s) s.listener = null;
    return s;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Stops listening; connections not yet accepted are reset. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unregister(this);
    for (const s of [...this.halfOpen, ...this.queue]) s.abort();
    this.queue.length = 0;
  }

  /** A segment for this port that matched no connection. */
  input(p: Packet): void {
    const h = p.tcp!;
    if ((h.flags & TCP_RST) !== 0) return;
    if ((h.flags & TCP_ACK) !== 0 || (h.flags & TCP_SYN) === 0) {
      replyRst(this.host, p);
      return;
    }
    if (this.halfOpen.size + this.queue.length >= this.backlog) {
      this.synDrops++;
      return;
    }
    const route = this.host.route(p.src);
    if (!route) return;
    const s = new TcpSocket(this.host, this.opts);
    s.localAddr = p.dst;
    s.localPort = this.port;
    s.remoteAddr = p.src;
    s.remotePort = h.sport;
    s.initConnection(route, this.host.newIss());
    s.irs = h.seq >>> 0;
    s.applyPeerSyn(h.mss, h.wscale, route.gsoMaxBytes);
    s.sndWnd = h.window;
    s.maxSndWnd = h.window;
    s.sndWl1 = -1;
    s.sndWl2 = -1;
    s.listener = this;
    this.halfOpen.add(s);
    this.host.hashConnection(s);
    this.host.stats.tcpPassiveOpens++;
    s.setState('SYN_RCVD');
    sendSyn(s);
  }

  childEstablished(s: TcpSocket): void {
    this.halfOpen.delete(s);
    if (this.onAccept) {
      s.listener = null;
      this.onAccept(s);
      return;
    }
    // Stays linked to the listener while queued, so a reset before accept() unqueues it.
    this.queue.push(s);
    if (this.onAcceptable) this.onAcceptable();
  }

  childGone(s: TcpSocket): void {
    this.halfOpen.delete(s);
    const i = this.queue.indexOf(s);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
