/**
 * What crosses the virtual wire: an IPv4 packet with a TCP or UDP header, as plain data.
 * Headers are fields, not bytes, so the hot path never parses; the pcap tap serialises them into
 * real IPv4/TCP/UDP bytes. Owned jointly by hw-sim/net (NIC, fabric, pcap) and kernel/net (TCP/UDP).
 */

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** IPv4 address as an unsigned 32-bit integer (10.0.0.1 = 0x0a000001). */
export type IpAddr = number;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export const IPV4_HEADER_BYTES = 20;
export const TCP_HEADER_BYTES = 20;
export const UDP_HEADER_BYTES = 8;
/** Ethernet framing on the wire per frame: preamble+SFD 8, header 14, FCS 4, inter-frame gap 12. */
export const ETH_WIRE_OVERHEAD_BYTES = 38;
export const ETH_MIN_PAYLOAD_BYTES = 46;

export interface TcpHeader {
  sport: number;
  dport: number;
  /**
   * 32-bit sequence number as int32 bits (the wire value is `seq >>> 0`): values past 2^31 as
   * uint32 are not small integers, and each would box a heap number per packet. Differences
   * `(a - b) | 0` and equality need no conversion.
   */
  seq: number;
  /** 32-bit acknowledgement number as int32 bits, as seq (valid when ACK is set). */
  ack: number;
  /** Bit set of TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK. */
  flags: number;
  /** Window field as sent (already shifted right by the sender's window scale). */
  window: number;
  /** SYN options. */
  mss?: number;
  wscale?: number;
}

export interface UdpHeader {
  sport: number;
  dport: number;
}

export interface Packet {
  src: IpAddr;
  dst: IpAddr;
  proto: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
  /** IPv4 identification field. */
  ipId: number;
  ttl: number;
  /**
   * The TCP header. A segment the stack sends (all but a SYN) is one object that carries the
   * header fields itself and points `tcp` at itself: one allocation per packet instead of two.
   * Read the header through `tcp`, never from the packet's own fields.
   */
  tcp?: TcpHeader;
  udp?: UdpHeader;
  /** The L4 payload. Receivers copy out what they keep; senders never mutate it after sending. */
  payload: Uint8Array;
  /**
   * Segmentation offload: 0 means one frame; otherwise the payload goes on the wire as
   * ceil(payload.length / gsoSize) frames of at most gsoSize payload bytes each (TSO/GSO).
   */
  gsoSize: number;
  /**
   * Set by the fabric when it flipped a bit in this packet. A single bit flip always changes the
   * Internet checksum, so a receiver with checksum verification drops such a packet.
   */
  corrupt: boolean;
  /**
   * Trace context, never on the wire (pcap and checksums ignore it): the ids of the block requests
   * whose bytes this packet carries, so every hop's trace record names them.
   */
  rids?: readonly number[];
  /**
   * A link tap's scratch slot, never on the wire (the network-latency tap keeps a packet's wire
   * start here between the two cables instead of in a map per packet). Hot creation sites set
   * -1 so every packet has the same shape; absent or negative: nothing noted.
   */
  tapNs?: number;
}

export function ipToString(a: IpAddr): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function parseIp(s: string): IpAddr {
  const parts = s.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: '${s}'`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

// The per-packet helpers below spell their sizes as numbers (names in comments): each use of a
// module constant is a load and a check in optimised code, and they run several times a packet.

export function l4HeaderBytes(p: Packet): number {
  return p.proto === 6 /* IPPROTO_TCP */ ? 20 /* TCP_HEADER_BYTES */ + tcpOptionBytes(p.tcp) : 8 /* UDP_HEADER_BYTES */;
}

/** IPv4 + L4 header bytes of each of the packet's wire frames. */
export function frameHeaderBytes(p: Packet): number {
  return 20 /* IPV4_HEADER_BYTES */ + l4HeaderBytes(p);
}

function tcpOptionBytes(h: TcpHeader | undefined): number {
  // `=== undefined`: a bare truth test compiles to a check for every falsy kind of value.
  if (h === undefined) return 0;
  let n = 0;
  if (h.mss !== undefined) n += 4;
  if (h.wscale !== undefined) n += 4; // 3 bytes + 1 NOP pad
  return n;
}

/** Number of wire frames this packet becomes after segmentation offload. */
export function frameCount(p: Packet): number {
  return p.gsoSize > 0 && p.payload.length > p.gsoSize ? Math.ceil(p.payload.length / p.gsoSize) : 1;
}

/** Bytes the packet occupies on an Ethernet wire, all frames, with framing overhead. */
export function wireBytes(p: Packet): number {
  return wireBytesOf(frameCount(p), frameHeaderBytes(p), p.payload.length);
}

/** wireBytes of a packet of `frames` frames, `hdr` IPv4 + L4 header bytes each, `payload` bytes in all. */
export function wireBytesOf(frames: number, hdr: number, payload: number): number {
  const total = (38 /* ETH_WIRE_OVERHEAD_BYTES */ + hdr) * frames + payload;
  // Short frames are padded to the Ethernet minimum (ETH_WIRE_OVERHEAD_BYTES + ETH_MIN_PAYLOAD_BYTES).
  return frames === 1 && total < 84 ? 84 : total;
}
