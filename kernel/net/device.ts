import type { Packet } from '../../hw-sim/net/packet.ts';

/**
 * What a network driver registers with the stack (the kernel's view of a NIC). kernel/net defines
 * it so drivers/ depend on the kernel, never the other way round.
 */
export interface NetDevice {
  readonly name: string;
  /** Largest IP packet per frame (1500 for Ethernet). */
  readonly mtu: number;
  /** Largest L4 payload of one segmentation-offload packet; 0 when the device cannot segment. */
  readonly gsoMaxBytes: number;
  /**
   * Hands one packet to the device. False when the tx ring is full: the stack keeps the packet
   * queued and retries when the driver calls `NetInterface.wake()`.
   */
  xmit(p: Packet): boolean;
  /**
   * True when the driver calls `NetInterface.txComplete` as packets leave: TCP then limits the
   * bytes each socket keeps queued below it (TCP small queues). False/absent: no limit.
   */
  readonly reportsTxCompletion?: boolean;
}

/** Who is told when a transmitted packet has left the device (a TCP socket). */
export interface TxOwner {
  /**
   * One of its packets (of `bytes` payload bytes) is done. `newest`: the one just handed down,
   * dropped before the device (or looped back); otherwise the oldest of its packets in the
   * device, which completes them in the order they were handed down.
   */
  onTxDone(bytes: number, newest: boolean): void;
}

/** The stack's side of a registered device: what the driver calls. */
export interface NetInterface {
  readonly device: NetDevice;
  readonly addr: number;
  /** A received packet, from the driver's NAPI poll. The stack copies out what it keeps. */
  receive(p: Packet): void;
  /** The tx ring has room again. */
  wake(): void;
  /** `n` packets (in the order they were handed over) have left the device. */
  txComplete(n: number): void;
}
