import { IPPROTO_UDP, UDP_HEADER_BYTES, IPV4_HEADER_BYTES, type Packet } from '../../hw-sim/net/packet.ts';
import type { TxOwner } from './device.ts';
import { NetError } from './errors.ts';
import type { NetRoute } from './tcp/tcb.ts';
import type { NetStats } from './stats.ts';

/**
 * UDP sockets of the kernel's net stack.
 *
 * NIC offload for UDP: none. TCP hands the NIC TSO chunks (gsoSize > 0) that the wire splits into
 * frames; a UDP datagram is always one IP packet of at most the route's MTU (no UFO/GSO, no IP
 * fragmentation: a larger datagram is EMSGSIZE), so every datagram costs one descriptor, one
 * interrupt share and one per-packet driver charge. Checksums are real on the wire (the pcap
 * writer computes them); a frame corrupted on the wire fails its UDP checksum at the receiving
 * stack and is dropped (`udp/checksum_drops`), as Linux does without rx checksum offload.
 *
 * Socket buffers: the send buffer counts the bytes (payload and IP/UDP headers) of datagrams
 * handed to the device and not yet reported done by the NIC, as Linux's sk_wmem_alloc does; a
 * datagram that would overflow it is refused (`sendTo` returns false, `udp/sndbuf_errors`) and
 * `onWritable` fires once half of the buffer is free again. There is no receive buffer to
 * overflow: `onMessage` runs in the softirq that delivers the datagram, so the owner has read it
 * before the next one arrives.
 */

/** Linux's default net.core.wmem_default. */
export const UDP_DEFAULT_SNDBUF = 212_992;

/** What a UDP socket needs from its stack. */
export interface UdpHost {
  readonly stats: NetStats;
  route(dst: number): NetRoute | undefined;
  output(p: Packet, owner?: TxOwner): void;
  unbindUdp(s: UdpSocket): void;
}

/** A bound UDP socket: datagrams out with sendTo, in through onMessage. No fragmentation. */
export class UdpSocket implements TxOwner {
  /** A datagram; the view is valid only during the call. */
  onMessage: ((data: Uint8Array, fromAddr: number, fromPort: number) => void) | null = null;
  /** The send buffer has room again after a refused sendTo. */
  onWritable: (() => void) | null = null;
  closed = false;
  /** Send buffer size, bytes (SO_SNDBUF). */
  sndbuf = UDP_DEFAULT_SNDBUF;
  /** Bytes handed down and not yet done at the NIC. */
  private queued = 0;
  private refused = false;

  constructor(
    private readonly host: UdpHost,
    readonly port: number,
  ) {}

  /** Room in the send buffer, bytes (payload + 28 bytes of headers per datagram). */
  get writable(): number {
    return Math.max(0, this.sndbuf - this.queued);
  }

  /**
   * Sends one datagram (copied: the caller may reuse its buffer at once). False when the send
   * buffer is full: nothing was sent; wait for onWritable.
   */
  sendTo(addr: number, port: number, data: Uint8Array, off = 0, len = data.length - off): boolean {
    if (this.closed) throw new NetError('EPIPE', `sendTo on closed UDP socket :${this.port}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetError('EINVAL', `sendTo: port must be 1..65535, got ${port}`);
    const route = this.host.route(addr);
    if (!route) throw new NetError('ENETUNREACH', `UDP :${this.port}: no route to ${addr >>> 0}`);
    const max = route.mtu - IPV4_HEADER_BYTES - UDP_HEADER_BYTES;
    if (len > max) throw new NetError('EMSGSIZE', `UDP datagram of ${len} bytes exceeds ${max} (MTU ${route.mtu}, no fragmentation)`);
    // Only a device that reports tx completions lets bytes leave the buffer again (a test pipe does not).
    const owned = route.completesTx;
    const size = len + IPV4_HEADER_BYTES + UDP_HEADER_BYTES;
    if (owned && this.queued + size > this.sndbuf) {
      this.host.stats.udpSndbufErrors++;
      this.refused = true;
      return false;
    }
    if (owned) this.queued += size;
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
      tapNs: -1,
    }, owned ? this : undefined);
    return true;
  }

  /** The NIC is done with a datagram (sent or dropped below): its bytes leave the send buffer. */
  onTxDone(bytes: number): void {
    this.queued -= bytes + IPV4_HEADER_BYTES + UDP_HEADER_BYTES;
    if (this.refused && this.queued <= this.sndbuf / 2) {
      this.refused = false;
      if (!this.closed) this.onWritable?.();
    }
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
