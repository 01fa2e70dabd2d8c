/**
 * The submission stage of latency: per request, from the NBD driver's queue_rq to the first byte
 * of its NBD request header leaving the client's NIC onto the wire (driver, socket, TCP, NIC
 * queueing and DMA; nothing of the network or the server). The driver's hook notes where in its
 * connection's TCP stream the header starts; a tap on the client's cable sees the packet that
 * carries that stream offset, and the header's frame start is the packet's wire start plus the
 * frames before it. First sends only (a requeued request's resend is not a submission); TLS
 * connections are left out (the header leaves inside a record sealed later). A header whose
 * packet is lost on the cable is counted at the retransmission that reaches the far end.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import { serialisationNs } from '../../hw-sim/engine/time.ts';
import { frameWireBytes } from '../../hw-sim/net/gso.ts';
import type { Link, LinkDirection, LinkTap } from '../../hw-sim/net/link.ts';
import { IPV4_HEADER_BYTES, TCP_HEADER_BYTES, type Packet } from '../../hw-sim/net/packet.ts';
import { Histogram } from '../../kernel/lib/histogram.ts';
import type { ConnectionSlot } from '../../drivers/nbd/managers/connection-slot.ts';
import type { NbdCmd } from '../../drivers/nbd/request.ts';

/**
 * Request headers of one connection waiting for the wire, oldest first: entries [head, n) of the
 * arrays, which are reused (not truncated) once every header is counted, so a steady run allocates nothing.
 */
interface Waiting {
  iss: number;
  seq: number[];
  queuedNs: Ns[];
  head: number;
  n: number;
}

export class SubmissionLatency implements LinkTap {
  readonly histogram = new Histogram();
  /** By the client's local port. */
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly clientLink: Link) {}

  /** The driver's IoPath.onSubmit: `r` is about to be queued on `slot`'s socket. */
  readonly onSubmit = (r: NbdCmd, slot: ConnectionSlot): void => {
    if (r.rq === null || r.sends !== 1 || slot.tls !== null) return;
    const tcp = slot.socket?.kernel;
    if (tcp === undefined) return;
    let unsent = 0;
    for (const u of slot.unsent) unsent += u.length;
    let q = this.waiting.get(tcp.localPort);
    if (q === undefined || q.iss !== tcp.iss) {
      // A new connection on this port: what the old one left waiting never reached the wire.
      q = { iss: tcp.iss, seq: [], queuedNs: [], head: 0, n: 0 };
      this.waiting.set(tcp.localPort, q);
    }
    q.seq[q.n] = (tcp.iss + 1 + tcp.sndq.end + unsent) >>> 0;
    q.queuedNs[q.n] = r.tQueued;
    q.n++;
  };

  onDeliver(link: Link, dir: LinkDirection, p: Packet, wireStartNs: Ns): void {
    // The client is side 'a' of its cable (hw-sim/net/fabric.ts).
    if (link !== this.clientLink || dir !== 'a->b' || p.tcp === undefined || p.payload.length === 0) return;
    const q = this.waiting.get(p.tcp.sport);
    if (q === undefined || q.head === q.n) return;
    const first = p.tcp.seq;
    const end = (first + p.payload.length) >>> 0;
    let frameNs = -1;
    while (q.head < q.n) {
      const at = q.seq[q.head]!;
      if (((end - at) | 0) <= 0) break; // that header is beyond this packet
      // Below the packet's first byte: its own packet never reached the far end (counted here).
      const idx = (at - first) | 0;
      let startNs = wireStartNs;
      if (idx > 0 && p.gsoSize > 0 && idx >= p.gsoSize) {
        if (frameNs < 0) frameNs = serialisationNs(frameWireBytes(IPV4_HEADER_BYTES + TCP_HEADER_BYTES, p.gsoSize), link.rateBps);
        startNs += Math.floor(idx / p.gsoSize) * frameNs;
      }
      this.histogram.record(startNs - q.queuedNs[q.head]!);
      q.head++;
    }
    if (q.head === q.n) {
      q.head = 0;
      q.n = 0;
    }
  }
}
