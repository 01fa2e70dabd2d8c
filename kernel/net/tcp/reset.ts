import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../../../hw-sim/net/packet.ts';
import type { TcpHost } from './tcb.ts';

const EMPTY = new Uint8Array(0);

/**
 * RST for a segment that belongs to no connection (RFC 793 "reset generation"): it takes the
 * segment's ACK as its sequence number, or acknowledges the segment when it carried no ACK.
 */
export function replyRst(host: TcpHost, p: Packet): void {
  const h = p.tcp!;
  if ((h.flags & TCP_RST) !== 0) return;
  host.stats.tcpOutRsts++;
  const hasAck = (h.flags & TCP_ACK) !== 0;
  const segLen = p.payload.length + ((h.flags & TCP_SYN) !== 0 ? 1 : 0) + ((h.flags & TCP_FIN) !== 0 ? 1 : 0);
  host.output({
    src: p.dst,
    dst: p.src,
    proto: IPPROTO_TCP,
    ipId: 0,
    ttl: 64,
    tcp: {
      sport: h.dport,
      dport: h.sport,
      seq: hasAck ? h.ack : 0,
      ack: hasAck ? 0 : (h.seq + segLen) | 0,
      flags: hasAck ? TCP_RST : TCP_RST | TCP_ACK,
      window: 0,
    },
    payload: EMPTY,
    gsoSize: 0,
    corrupt: false,
  });
}
