import { IPPROTO_UDP, UDP_HEADER_BYTES, IPV4_HEADER_BYTES, type Packet } from '../../hw-sim/net/packet.ts';
import { NetError } from './errors.ts';
import type { NetRoute } from './tcp/host.ts';
import type { NetStats } from './stats.ts';

/** What a UDP socket needs from its stack. */
export interface UdpHost {
  readonly stats: NetStats;
  route(dst: number): NetRoute | undefined;
  output(p: Packet): void;
  unbindUdp(s: UdpSocket): void;
}

/** A bound UDP socket: datagrams out with sendTo, in through onMessage. No fragmentation. */
export class UdpSocket {
  /** A datagram; the view is valid only during the call. */
  onMessage: ((data: Uint8Array, fromAddr: number, fromPort: number) => void) | null = null;
  closed = false;

  constructor(
    private readonly host: UdpHost,
    readonly port: number,
  ) {}

  /** Sends one datagram (copied: the caller may reuse its buffer at once). */
  sendTo(addr: number, port: number, data: Uint8Array, off = 0, len = data.length - off): void {
    if (this.closed) throw new NetError('EPIPE', `sendTo on closed UDP socket :${this.port}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetError('EINVAL', `sendTo: port must be 1..65535, got ${port}`);
    const route = this.host.route(addr);
    if (!route) throw new NetError('ENETUNREACH', `UDP :${this.port}: no route to ${addr >>> 0}`);
    const max = route.mtu - IPV4_HEADER_BYTES - UDP_HEADER_BYTES;
    if (len > max) throw new NetError('EMSGSIZE', `UDP datagram of ${len} bytes exceeds ${max} (MTU ${route.mtu}, no fragmentation)`);
    this.host.stats.udpOutDatagrams++;
    this.host.output({
      src: route.localAddr,
      dst: addr,
      proto: IPPROTO_UDP,
      ipId: 0,
      ttl: 64,
      udp: { sport: this.port, dport: port },
      payload: data.slice(off, off + len),
      gsoSize: 0,
      corrupt: false,
    });
  }

  /** From the stack's demux. */
  input(p: Packet): void {
    this.host.stats.udpInDatagrams++;
    if (this.onMessage) this.onMessage(p.payload, p.src, p.udp!.sport);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unbindUdp(this);
  }
}
