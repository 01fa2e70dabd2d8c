/**
 * Segmentation offload helpers: how a Packet with gsoSize becomes wire frames.
 * A TSO chunk of N frames keeps one Packet on the hot path; it is split only where a frame must
 * be treated on its own (an impaired frame, a partial tail drop, a short rx ring).
 */
import {
  IPPROTO_TCP, TCP_FIN, TCP_PSH, TCP_SYN,
  frameCount, type Packet,
} from './packet.ts';

/** Payload bytes in frame `k` of `p` (k < frameCount(p)). */
export function framePayloadBytes(p: Packet, k: number): number {
  const n = p.payload.length;
  if (frameCount(p) === 1) return n;
  const off = k * p.gsoSize;
  return n - off < p.gsoSize ? n - off : p.gsoSize;
}

/** Bytes one frame with `l3l4HeaderBytes` of headers and `payloadBytes` occupies on an Ethernet wire. */
export function frameWireBytes(l3l4HeaderBytes: number, payloadBytes: number): number {
  const l3 = l3l4HeaderBytes + payloadBytes;
  // Per packet: the sizes as numbers (packet.ts says why). ETH_WIRE_OVERHEAD_BYTES + at least ETH_MIN_PAYLOAD_BYTES.
  return 38 + (l3 < 46 ? 46 : l3);
}

/**
 * IPv4 total length of the largest frame of `p` (what the MTU limits), given its IPv4 + L4 header
 * bytes and frame count (the hot path has them already): the first frame is a full gsoSize.
 */
export function maxFrameIpBytes(p: Packet, hdr: number, frames: number): number {
  return hdr + (frames === 1 ? p.payload.length : p.gsoSize);
}

/**
 * Splits a segmentation-offload packet into its wire frames, as a NIC's TSO engine does: payload
 * views (no copy), TCP seq advanced per frame, IP id incremented per frame, SYN and options only
 * on the first frame, FIN and PSH only on the last. A one-frame packet is returned as is.
 */
export function splitGso(p: Packet): Packet[] {
  const n = frameCount(p);
  if (n === 1) return [p];
  const out: Packet[] = new Array<Packet>(n);
  const tcp = p.proto === IPPROTO_TCP ? p.tcp : undefined;
  for (let k = 0; k < n; k++) {
    const off = k * p.gsoSize;
    const len = framePayloadBytes(p, k);
    const f: Packet = {
      src: p.src, dst: p.dst, proto: p.proto, ipId: (p.ipId + k) & 0xffff, ttl: p.ttl,
      payload: p.payload.subarray(off, off + len), gsoSize: 0, corrupt: p.corrupt, ...(p.rids ? { rids: p.rids } : {}),
    };
    if (tcp) {
      let flags = tcp.flags;
      if (k > 0) flags &= ~TCP_SYN;
      if (k < n - 1) flags &= ~(TCP_FIN | TCP_PSH);
      f.tcp = { sport: tcp.sport, dport: tcp.dport, seq: (tcp.seq + off) | 0, ack: tcp.ack, flags, window: tcp.window };
      if (k === 0 && tcp.mss !== undefined) f.tcp.mss = tcp.mss;
      if (k === 0 && tcp.wscale !== undefined) f.tcp.wscale = tcp.wscale;
    } else if (p.udp) {
      f.udp = p.udp;
    }
    out[k] = f;
  }
  return out;
}

/** The first `k` frames of `p` as one packet (same gsoSize), for partial tail drops. */
export function headFrames(p: Packet, k: number): Packet {
  if (k >= frameCount(p)) return p;
  const head: Packet = {
    src: p.src, dst: p.dst, proto: p.proto, ipId: p.ipId, ttl: p.ttl,
    payload: p.payload.subarray(0, k * p.gsoSize), gsoSize: k > 1 ? p.gsoSize : 0, corrupt: p.corrupt, ...(p.rids ? { rids: p.rids } : {}),
  };
  const tcp = p.tcp;
  if (tcp) {
    // The tail carried FIN/PSH; the head ends mid-stream.
    head.tcp = { sport: tcp.sport, dport: tcp.dport, seq: tcp.seq, ack: tcp.ack, flags: tcp.flags & ~(TCP_FIN | TCP_PSH), window: tcp.window };
    if (tcp.mss !== undefined) head.tcp.mss = tcp.mss;
    if (tcp.wscale !== undefined) head.tcp.wscale = tcp.wscale;
  } else if (p.udp) {
    head.udp = p.udp;
  }
  return head;
}
