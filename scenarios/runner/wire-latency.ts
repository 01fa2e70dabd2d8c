/**
 * The network stage of latency: for every packet, from its first bit leaving the sending host's
 * NIC to its last bit arriving at the receiving host's NIC (both cables and the switch, queueing
 * included). A tap on every link of the fabric notes when a packet starts on a host's cable and
 * records the span when the same packet reaches a host. Packets the fabric splits (an impaired
 * frame of an offload chunk) are new objects and are not counted.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { Link, LinkDirection, LinkTap } from '../../hw-sim/net/link.ts';
import type { Packet } from '../../hw-sim/net/packet.ts';
import { Histogram } from '../../kernel/lib/histogram.ts';

export class WireLatency implements LinkTap {
  readonly histogram = new Histogram();
  private readonly started = new WeakMap<Packet, Ns>();

  constructor(private readonly engine: Engine) {}

  // Hosts are side 'a' of their cables, the switch side 'b' (hw-sim/net/fabric.ts).
  onDeliver(_link: Link, dir: LinkDirection, p: Packet, wireStartNs: Ns): void {
    if (dir === 'a->b') {
      this.started.set(p, wireStartNs);
      return;
    }
    const start = this.started.get(p);
    if (start === undefined) return;
    this.started.delete(p);
    this.histogram.record(this.engine.now - start);
  }
}
