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
   * Owners and payload sizes of the packets handed down and not yet completed, in order (TSQ):
   * one ring (power-of-two size) of [ownHead, ownHead + owned). Sizes, not packets: a fresh
   * packet stored in this long-lived ring costs a write barrier. Kept here rather than in two
   * shared Fifo objects: their push and shift, shared with other element types, were calls on
   * every packet and every completion.
   */
  private owners: (TxOwner | null)[] = new Array<TxOwner | null>(64).fill(null);
  private ownerBytes = new Float64Array(64);
  private ownHead = 0;
  private owned = 0;
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
    // Fields are read anew each round: onTxDone may send, and so track, before returning.
    for (let k = 0; k < n && this.owned > 0; k++) {
      const i = this.ownHead;
      const owner = this.owners[i];
      this.owners[i] = null;
      const bytes = this.ownerBytes[i]!;
      this.ownHead = (i + 1) & (this.owners.length - 1);
      this.owned--;
      if (owner) owner.onTxDone(bytes, false);
    }
  }

  private track(p: Packet, owner: TxOwner | null): void {
    if (!this.tracksCompletion) return;
    if (this.owned === this.owners.length) this.growOwners();
    const i = (this.ownHead + this.owned) & (this.owners.length - 1);
    this.owners[i] = owner;
    this.ownerBytes[i] = p.payload.length;
    this.owned++;
  }

  private growOwners(): void {
    const size = this.owners.length;
    const owners = new Array<TxOwner | null>(size * 2).fill(null);
    const bytes = new Float64Array(size * 2);
    for (let k = 0; k < this.owned; k++) {
      const i = (this.ownHead + k) & (size - 1);
      owners[k] = this.owners[i]!;
      bytes[k] = this.ownerBytes[i]!;
    }
    this.owners = owners;
    this.ownerBytes = bytes;
    this.ownHead = 0;
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
