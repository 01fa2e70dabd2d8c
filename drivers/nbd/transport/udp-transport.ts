/**
 * The device's UDP transport (docs/nbd-extensions.md, "UDP transport"): when a connection's
 * handshake was granted UDP, its transmission phase is a UdpSession on a fresh UDP socket to the
 * server's granted port instead of the TCP TransmissionSession. The seam is ProtocolManager.datagrams.
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import type { ExportInfo } from '../protocol-port.ts';
import type { TransmissionHost } from '../protocol/transmission.ts';
import type { SocketFactory } from '../socket.ts';
import { NBD_ORION_UDP_HEADER_SIZE } from '../protocol/uapi.ts';
import { UDP_SOCKET_BUFFER, type RtoConfig } from './udp-control.ts';
import { UdpSession } from './udp-session.ts';
import { UdpCounters } from './udp-stats.ts';

export interface UdpTransportOptions {
  /** Server host (address or name) of a connection. */
  serverOf(slot: ConnectionSlot): string;
  /** Socket receive buffer of either end, bytes (the window never exceeds what it holds). */
  socketBufferBytes?: number;
  maxAttempts?: number;
  rto?: RtoConfig;
  /** A session's socket has room again: the driver offers what blk-mq holds back (BUSY). */
  onRoom?: () => void;
}


export class UdpTransport {
  readonly counters = new UdpCounters();
  /** Live sessions by connection index (for stats: window, RTT). */
  readonly sessions = new Map<number, UdpSession>();

  constructor(private readonly engine: Engine, private readonly sockets: SocketFactory, private readonly opts: UdpTransportOptions) {}

  /** The UDP session for a connection granted UDP, or null when no UDP socket can be opened. */
  open(slot: ConnectionSlot, info: ExportInfo, host: TransmissionHost): UdpSession | null {
    const grant = info.udp;
    if (!grant || !this.sockets.datagram) return null;
    const sock = this.sockets.datagram(this.opts.serverOf(slot), grant.port);
    if (!sock) return null;
    const engine = this.engine;
    const buf = this.opts.socketBufferBytes ?? UDP_SOCKET_BUFFER;
    const s = new UdpSession(sock, host, {
      get now() { return engine.now; },
      schedule: (ns, fn) => engine.schedule(ns, fn, 'nbd.udp.rto'),
      cancel: (h) => engine.cancel(h as Parameters<Engine['cancel']>[0]),
    }, {
      grant,
      window: { initial: 32, min: 4, max: Math.max(4, Math.floor(buf / (grant.datagram + NBD_ORION_UDP_HEADER_SIZE))) },
      maxAttempts: this.opts.maxAttempts ?? 12,
      counters: this.counters,
      ...(this.opts.rto ? { rto: this.opts.rto } : {}),
      onReceive: () => { slot.lastRxAt = engine.now; },
      peers: () => this.sessions.values(),
      neverSettle: engine.bugs.has('udp-raced-read-unsettled'),
      ...(this.opts.onRoom ? { onRoom: this.opts.onRoom } : {}),
    });
    this.sessions.set(slot.index, s);
    return s;
  }
}
