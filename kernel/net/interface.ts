import { Fifo } from '../../hw-sim/net/fifo.ts';
import type { Packet } from '../../hw-sim/net/packet.ts';
import type { NetDevice, NetInterface, TxOwner } from './device.ts';
import type { NetRoute } from './tcp/tcb.ts';
import type { NetStats } from './stats.ts';

/** Where an interface hands what it receives: the stack's IP input. */
export interface IpInput {
  ipInput(p: Packet): void;
}

/**
 * One registered device: its address, and a bounded transmit queue (the qdisc) in front of the
 * driver's ring for when the ring is full. Overflow drops the packet; TCP retransmits.
 */
export class Iface implements NetInterface, NetRoute {
  private txq: Packet[] = [];
  private txHead = 0;
  /**
   * Owners and payload sizes of the packets handed down and not yet completed, in order (TSQ).
   * Sizes, not packets: a fresh packet stored in this long-lived ring costs a write barrier.
   * Rings: arrays emptied with `length = 0` gave their storage back and grew it again on every
   * burst of packets.
   */
  private readonly owners = new Fifo<TxOwner | null>(64);
  private readonly ownerBytes = new Fifo<number>(64);
  private readonly tracksCompletion: boolean;

  constructor(
    readonly device: NetDevice,
    readonly addr: number,
    readonly prefixLen: number,
    private readonly txQueueLen: number,
    private readonly stats: NetStats,
    /** An object, not a closure: a method call per received packet is the cheaper call. */
    private readonly stack: IpInput,
  ) {
    this.tracksCompletion = device.reportsTxCompletion === true;
  }

  /** Whether sockets get tx completions through this interface. */
  get completesTx(): boolean {
    return this.tracksCompletion;
  }

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
    this.stack.ipInput(p);
  }

  transmit(p: Packet, owner: TxOwner | null): void {
    if (this.txHead === this.txq.length && this.device.xmit(p)) {
      this.track(p, owner);
      return;
    }
    if (this.queued >= this.txQueueLen) {
      this.stats.ipTxQueueDrops++;
      if (owner) owner.onTxDone(p.payload.length, true);
      return;
    }
    this.txq.push(p);
    this.track(p, owner);
  }

  txComplete(n: number): void {
    const o = this.owners;
    for (let i = 0; i < n && o.length > 0; i++) {
      const owner = o.shift();
      const bytes = this.ownerBytes.shift();
      if (owner) owner.onTxDone(bytes, false);
    }
  }

  private track(p: Packet, owner: TxOwner | null): void {
    if (!this.tracksCompletion) return;
    this.owners.push(owner);
    this.ownerBytes.push(p.payload.length);
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
