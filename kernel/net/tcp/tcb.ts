import type { Bugs } from '../../../hw-sim/engine/bugs.ts';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { LazyTimer, NetClock } from '../clock.ts';
import type { TxOwner } from '../device.ts';
import type { NetErrorCode } from '../errors.ts';
import type { NetStats } from '../stats.ts';
import type { TcpConfig } from './config.ts';
import type { NewReno } from './newreno.ts';
import type { RecvBuffer } from './recv-buffer.ts';
import type { RttEstimator } from './rtt.ts';
import type { SendChunk, SendQueue } from './send-queue.ts';
import type { TcpState } from './state.ts';
import type { TraceMarks } from './trace-marks.ts';

// The types TCP's files share, below all of them: socket.ts calls output, delivery, timers and
// probes, and those take the connection as a Tcb declared here, so no file imports socket.ts back.

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
  /** Injected bugs of the run (test-only, hw-sim/engine/bugs.ts). */
  readonly bugs: Bugs;
  trace(kind: string, data: Record<string, unknown>): void;
  route(dst: number): NetRoute | undefined;
  /** Sends `p`; `owner` (a socket) hears when it left the device (TCP small queues). */
  output(p: Packet, owner?: TxOwner): void;
  newIss(): number;
  /** Charges the CPU for copying `bytes` between user and socket buffers (no-op without a CPU). */
  chargeCopy(bytes: number): void;
  /** Picks a free local port for an active open. */
  ephemeralPort(): number;
  /** Enters / leaves the connection table (the host's table holds the sockets themselves). */
  hashConnection(s: Tcb): void;
  unhashConnection(s: Tcb): void;
}

/** The listener a passive connection came from: hears when its handshake completes or it dies. */
export interface TcpAcceptor {
  childEstablished(s: Tcb): void;
  childGone(s: Tcb): void;
}

/**
 * The transmission control block (RFC 793 3.2): the connection state that output, delivery,
 * the timers and the loss probe read and change. TcpSocket implements it (see its fields for
 * what each means); sequence state is in stream offsets (SYN = -1, first data byte = 0).
 */
export interface Tcb extends TxOwner {
  readonly host: TcpHost;
  readonly cfg: TcpConfig;
  state: TcpState;
  label: string;
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
  onData: ((chunk: Uint8Array) => void) | null;
  onReadable: (() => void) | null;
  noDelay: boolean;
  cork: boolean;
  keepAlive: boolean;
  keepIdleNs: number;
  keepIntervalNs: number;
  keepCount: number;

  // Send side.
  iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd: number;
  maxSndWnd: number;
  peerOfferedWscale: boolean;
  sndMss: number;
  maxSeg: number;
  readonly sndq: SendQueue;
  finQueued: boolean;
  sndSmallEnd: number;
  txQueued: number;
  /** Data packets handed to the device and not yet completed. */
  txPackets: number;
  tsqLimit: number;
  tsqThrottled: boolean;
  /** A send() left its tail corked (autocork.ts): the next tx completion sends it. */
  autocorked: boolean;

  // Receive side.
  irs: number;
  rcvq: RecvBuffer;
  rcvWscale: number;
  rcvMss: number;
  finReceived: boolean;
  rcvAdvRight: number;
  ackOwed: boolean;
  rcvUnacked: number;
  paused: boolean;
  delivering: boolean;

  // Timing, loss recovery, timers.
  readonly rtt: RttEstimator;
  readonly cc: NewReno;
  rttOff: number;
  rttStartNs: number;
  retransmits: number;
  lossProbes: number;
  persist: boolean;
  swsOverride: boolean;
  probes: number;
  keepProbes: number;
  lastSendNs: number;
  lastRecvNs: number;
  traceMarks: TraceMarks | null;
  readonly rtxTimer: LazyTimer;
  readonly probeTimer: LazyTimer;
  readonly delackTimer: LazyTimer;
  readonly keepTimer: LazyTimer;

  /** A data packet reading `c` goes to the device. */
  trackTx(c: SendChunk): void;
  /** Tears down; `err` (if any) goes to the owner before onClose. */
  destroy(err: NetErrorCode | null, why?: string): void;
}
