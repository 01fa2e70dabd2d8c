import type { Packet } from '../../hw-sim/net/packet.ts';
import type { NetDevice, NetInterface } from './device.ts';
import type { NetRoute } from './tcp/host.ts';
import type { NetStats } from './stats.ts';

/**
 * One registered device: its address, and a bounded transmit queue (the qdisc) in front of the
 * driver's ring for when the ring is full. Overflow drops the packet; TCP retransmits.
 */
export class Iface implements NetInterface, NetRoute {
  private txq: Packet[] = [];
  private txHead = 0;

  constructor(
    readonly device: NetDevice,
    readonly addr: number,
    readonly prefixLen: number,
    private readonly txQueueLen: number,
    private readonly stats: NetStats,
    private readonly input: (p: Packet) => void,
  ) {}

  get localAddr(): number {
    return this.addr;
  }

  get mtu(): number {
    return this.device.mtu;
  }

  get gsoMaxBytes(): number {
    return this.device.gsoMaxBytes;
  }

  /** Packets waiting for ring space. */
  get queued(): number {
    return this.txq.length - this.txHead;
  }

  receive(p: Packet): void {
    this.input(p);
  }

  transmit(p: Packet): void {
    if (this.txHead === this.txq.length && this.device.xmit(p)) return;
    if (this.queued >= this.txQueueLen) {
      this.stats.ipTxQueueDrops++;
      return;
    }
    this.txq.push(p);
  }

  wake(): void {
    const q = this.txq;
    while (this.txHead < q.length) {
      if (!this.device.xmit(q[this.txHead]!)) break;
      this.txHead++;
    }
    if (this.txHead === q.length) {
      q.length = 0;
      this.txHead = 0;
    } else if (this.txHead > 1024) {
      this.txq = q.slice(this.txHead);
      this.txHead = 0;
    }
  }
}
