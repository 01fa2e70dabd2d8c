import type { Tcb } from './tcb.ts';
import { tcpOutput } from './output.ts';

/**
 * Autocorking (Linux tcp_push / tcp_should_autocork, net.ipv4.tcp_autocorking, on by default
 * since 3.14). A send() that ends in a small unsent tail is held back while the socket still has
 * packets in the qdisc or the NIC: the TX completion that frees one of them (tcp_wfree, then the
 * TSQ handler) sends whatever gathered meanwhile, so small writes under load leave as fewer, larger
 * packets and the peer acknowledges fewer of them. With nothing of the socket in the device the
 * send goes out at once, so a lone request pays no latency.
 */

/**
 * Memory a data skb charges to sk_wmem_alloc besides its payload (skb->truesize minus len): the
 * sk_buff (256 bytes, cache-aligned) plus its 1 KiB slab head (the MAX_TCP_HEADER area and the
 * shared info, 576 bytes rounded up to the 1024-byte slab) on x86-64: 1280.
 */
export const SKB_TRUESIZE_OVERHEAD = 1280;

/**
 * Sends what a send() queued, as tcp_push at the end of tcp_sendmsg. Full offload packets go out
 * as they filled (tcp_push_one); the tail corks when tcp_should_autocork holds:
 *   - the tail skb is shorter than the size goal (one full offload packet, maxSeg);
 *   - autocorking is on for the host;
 *   - the retransmit queue is not empty (data sent and not acknowledged);
 *   - sk_wmem_alloc (1 plus the truesize of every packet of ours the device still holds; pure
 *     ACKs, charged 2 bytes each in Linux, are not counted) exceeds the tail's truesize.
 * A corked socket is marked (TSQ_THROTTLED) and onTxDone pushes it at the next completion.
 */
export function tcpPush(s: Tcb): void {
  if (s.cfg.autocorking !== true || s.tsqLimit === 0) {
    tcpOutput(s);
    return;
  }
  // Unsent bytes form skbs of the size goal (one full offload packet, maxSeg) from snd.nxt on,
  // as tcp_sendmsg fills its tail skb until full and then starts another: the last is the tail.
  const unsent = s.sndq.end - s.sndNxt;
  const goal = s.maxSeg;
  const tail = unsent > goal ? unsent - Math.floor((unsent - 1) / goal) * goal : unsent;
  if (tail < unsent) tcpOutput(s, s.sndq.end - tail);
  if (tail > 0 && tail < s.maxSeg && s.sndMax > s.sndUna && inDevice(s, tail)) {
    if (!s.autocorked) {
      s.autocorked = true;
      s.host.stats.tcpAutocorking++;
    }
    return;
  }
  tcpOutput(s);
}

/**
 * sk_wmem_alloc > the tail's truesize: sk_wmem_alloc is 1 plus the truesize of the socket's data
 * packets in the qdisc and the device.
 */
function inDevice(s: Tcb, tail: number): boolean {
  if (s.host.bugs.has('autocork-ignores-device')) return true;
  return 1 + s.txPackets * SKB_TRUESIZE_OVERHEAD + s.txQueued > SKB_TRUESIZE_OVERHEAD + tail;
}
