/**
 * The network stage of latency: for every packet, from its first bit leaving the sending host's
 * NIC to its last bit arriving at the receiving host's NIC (both cables and the switch, queueing
 * included). A tap on every link of the fabric notes when a packet starts on a host's cable and
 * records the span when the same packet reaches a host. Packets the fabric splits (an impaired
 * frame of an offload chunk) are new objects and are not counted. The start is kept in the
 * packet's tap slot (`tapNs`): a WeakMap set and delete per packet cost more than the rest of
 * the tap.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { Link, LinkDirection, LinkTap } from '../../hw-sim/net/link.ts';
import type { Packet } from '../../hw-sim/net/packet.ts';
import { Histogram } from '../../kernel/lib/histogram.ts';

export class WireLatency implements LinkTap {
  readonly histogram = new Histogram();

  constructor(private readonly engine: Engine) {}

  // Hosts are side 'a' of their cables, the switch side 'b' (hw-sim/net/fabric.ts).
  onDeliver(_link: Link, dir: LinkDirection, p: Packet, wireStartNs: Ns): void {
    if (dir === 'a->b') {
      p.tapNs = wireStartNs;
      return;
    }
    const start = p.tapNs;
    if (start === undefined || start < 0) return;
    p.tapNs = -1;
    this.histogram.record(this.engine.now - start);
  }
}
