/**
 * pcap tap: classic pcap (magic 0xa1b23c4d: nanosecond timestamps, version 2.4, LINKTYPE 228 =
 * raw IPv4), one record per wire frame. A TSO chunk is written as its frames, each with its own
 * IP total length, IP id and TCP seq (as splitGso cuts them) and correct IPv4 and TCP/UDP
 * checksums. A corrupted frame is written with its flipped bit and the checksum of the original,
 * so Wireshark flags it. Output goes to a PcapSink (no fs here; tools/ writes files).
 *
 * As a LinkTap it records what a link delivers, stamped when each frame's last bit arrived.
 */
import { serialisationNs, NS_PER_S, type Ns } from '../engine/time.ts';
import { finishChecksum, sumWords } from './checksum.ts';
import { framePayloadBytes, frameWireBytes } from './gso.ts';
import { corruptionOf } from './impairments.ts';
import type { Link, LinkDirection, LinkTap } from './link.ts';
import { IPPROTO_TCP, IPV4_HEADER_BYTES, TCP_FIN, TCP_PSH, TCP_SYN, UDP_HEADER_BYTES, frameCount, l4HeaderBytes, type Packet } from './packet.ts';

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_IPV4 = 228;

export interface PcapSink {
  write(chunk: Uint8Array): void;
}

/** Collects pcap output in memory. */
export class MemoryPcapSink implements PcapSink {
  readonly chunks: Uint8Array[] = [];
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }
  bytes(): Uint8Array {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export class PcapWriter implements LinkTap {
  private frames = 0;

  constructor(private readonly sink: PcapSink, readonly snaplen = 262144) {
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, PCAP_MAGIC_NS, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, snaplen, true);
    v.setUint32(20, LINKTYPE_IPV4, true);
    sink.write(h);
  }

  get frameCount(): number {
    return this.frames;
  }

  onDeliver(link: Link, _dir: LinkDirection, p: Packet, wireStartNs: Ns, delayNs: Ns): void {
    const n = frameCount(p);
    const hdr = IPV4_HEADER_BYTES + l4HeaderBytes(p);
    let t = wireStartNs + delayNs;
    for (let k = 0; k < n; k++) {
      t += serialisationNs(frameWireBytes(hdr, framePayloadBytes(p, k)), link.rateBps);
      this.writeFrame(t, p, k, n);
    }
  }

  /** Writes frame k of n of `p` stamped at `t`. */
  writeFrame(t: Ns, p: Packet, k: number, n: number): void {
    const off = n === 1 ? 0 : k * p.gsoSize;
    const len = framePayloadBytes(p, k);
    const payload = p.payload.subarray(off, off + len);
    const tcp = p.proto === IPPROTO_TCP ? p.tcp : undefined;
    const opts = k === 0 && tcp ? l4HeaderBytes(p) - 20 : 0;
    const l4len = (tcp ? 20 + opts : UDP_HEADER_BYTES) + len;
    const ipLen = IPV4_HEADER_BYTES + l4len;
    const caplen = ipLen < this.snaplen ? ipLen : this.snaplen;
    const rec = new Uint8Array(16 + ipLen);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Math.floor(t / NS_PER_S), true);
    v.setUint32(4, t % NS_PER_S, true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, ipLen, true);
    const flip = corruptionOf(p);
    const ipId = (p.ipId + k) & 0xffff;
    // IPv4 header
    const ip = 16;
    v.setUint8(ip, 0x45);
    v.setUint16(ip + 2, ipLen);
    v.setUint16(ip + 4, ipId);
    v.setUint16(ip + 6, 0x4000); // DF
    v.setUint8(ip + 8, p.ttl);
    v.setUint8(ip + 9, p.proto);
    v.setUint32(ip + 12, p.src);
    v.setUint32(ip + 16, p.dst);
    // Checksum of the original header: a flipped IP-id bit is flipped back for the sum.
    const idForSum = flip !== undefined && flip < 0 ? ipId ^ (1 << (-1 - flip)) : ipId;
    v.setUint16(ip + 4, idForSum);
    v.setUint16(ip + 10, finishChecksum(sumWords(rec.subarray(ip, ip + 20), 0)));
    v.setUint16(ip + 4, ipId);
    // L4 header
    const l4 = ip + 20;
    if (tcp) {
      let flags = tcp.flags;
      if (k > 0) flags &= ~TCP_SYN;
      if (k < n - 1) flags &= ~(TCP_FIN | TCP_PSH);
      v.setUint16(l4, tcp.sport);
      v.setUint16(l4 + 2, tcp.dport);
      v.setUint32(l4 + 4, (tcp.seq + off) >>> 0);
      v.setUint32(l4 + 8, tcp.ack >>> 0);
      v.setUint16(l4 + 12, (((20 + opts) >> 2) << 12) | (flags & 0x3f));
      v.setUint16(l4 + 14, tcp.window & 0xffff);
      let o = l4 + 20;
      if (opts > 0 && tcp.mss !== undefined) {
        v.setUint8(o, 2); v.setUint8(o + 1, 4); v.setUint16(o + 2, tcp.mss); o += 4;
      }
      if (opts > 0 && tcp.wscale !== undefined) {
        v.setUint8(o, 1); v.setUint8(o + 1, 3); v.setUint8(o + 2, 3); v.setUint8(o + 3, tcp.wscale); o += 4;
      }
    } else {
      const udp = p.udp;
      v.setUint16(l4, udp ? udp.sport : 0);
      v.setUint16(l4 + 2, udp ? udp.dport : 0);
      v.setUint16(l4 + 4, l4len);
    }
    const data = l4 + l4len - len;
    rec.set(payload, data);
    // Pseudo-header + L4 header + payload, over the original bytes of a corrupted frame.
    let sum = (p.src >>> 16) + (p.src & 0xffff) + (p.dst >>> 16) + (p.dst & 0xffff) + p.proto + l4len;
    if (flip !== undefined && flip >= 0) rec[data + (flip >> 3)]! ^= 1 << (flip & 7);
    sum = sumWords(rec.subarray(l4, l4 + l4len), sum);
    if (flip !== undefined && flip >= 0) rec[data + (flip >> 3)]! ^= 1 << (flip & 7);
    let ck = finishChecksum(sum);
    if (!tcp && ck === 0) ck = 0xffff; // UDP: 0 means "no checksum"
    v.setUint16(l4 + (tcp ? 16 : 6), ck);
    this.sink.write(caplen < ipLen ? rec.subarray(0, 16 + caplen) : rec);
    this.frames++;
  }
}
