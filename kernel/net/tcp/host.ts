import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { NetClock } from '../clock.ts';
import type { TxOwner } from '../device.ts';
import type { NetStats } from '../stats.ts';
import type { TcpConfig } from './config.ts';
import type { TcpSocket } from './socket.ts';

/** Where a destination is reached from: the local address and the device's segment limits. */
export interface NetRoute {
  readonly localAddr: number;
  readonly mtu: number;
  readonly gsoMaxBytes: number;
  /** The device reports tx completions, so per-socket queueing below TCP can be limited. */
  readonly completesTx: boolean;
}

/** What a TCP socket needs from its host's stack (kept narrow so TCP is testable alone). */
export interface TcpHost {
  readonly hostName: string;
  readonly clock: NetClock;
  readonly stats: NetStats;
  readonly tcpConfig: TcpConfig;
  trace(kind: string, data: Record<string, unknown>): void;
  route(dst: number): NetRoute | undefined;
  /** Sends `p`; `owner` (a socket) hears when it left the device (TCP small queues). */
  output(p: Packet, owner?: TxOwner): void;
  newIss(): number;
  /** Charges the CPU for copying `bytes` between user and socket buffers (no-op without a CPU). */
  chargeCopy(bytes: number): void;
  /** Picks a free local port for an active open. */
  ephemeralPort(): number;
  /** Enters / leaves the connection table. */
  hashConnection(s: TcpSocket): void;
  unhashConnection(s: TcpSocket): void;
}
