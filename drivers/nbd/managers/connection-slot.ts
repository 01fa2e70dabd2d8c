import type { AnyActorRef } from 'xstate';
import type { TransmissionSession } from '../protocol/transmission.ts';
import type { ExportInfo, Handshake } from '../protocol-port.ts';
import type { NbdSocket } from '../socket.ts';
import type { TlsChannel } from '../security/tls-channel.ts';

/** Where a connection stands, mirrored from its statechart for the request path (no actor read per request). */
export type ConnPhase = 'idle' | 'connect' | 'handshake' | 'transmission' | 'draining' | 'backoff' | 'dead' | 'closed';

/**
 * NbdConnection: the plain-data side of one connection. The statechart owns the lifecycle;
 * this record holds what the request path touches (socket, session, counters).
 */
export class ConnectionSlot {
  phase: ConnPhase = 'idle';
  actor: AnyActorRef | null = null;
  socket: NbdSocket | null = null;
  handshake: Handshake | null = null;
  transmission: TransmissionSession | null = null;
  tls: TlsChannel | null = null;
  /** Receive-side TLS CPU: charged so far, and when the CPU is free to open the next record. */
  rxCpuCharged = 0;
  rxCpuFreeAt = 0;
  info: ExportInfo | null = null;
  /** Requests sent and not yet replied to. */
  outstanding = 0;
  /** Bytes waiting in the tx buffer because the socket was full. */
  backlog = 0;
  /** Cookie generation of the current transmission session (high half of its cookies). */
  generation = 0;
  /** Incarnation of the socket; bumps on every reconnect so late socket callbacks are ignored. */
  incarnation = 0;
  requestsSent = 0;
  repliesReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  reconnects = 0;
  errors = 0;
  lastReason = '';
  /** Virtual time bytes last arrived (reset when a request goes out on an idle connection). */
  lastRxAt = 0;
  /** Virtual time the connection last entered transmission. */
  upSince = 0;

  constructor(
    /** Index in the device's connection table. */
    readonly index: number,
    /** Index of the server it belongs to. */
    readonly server: number,
  ) {}

  /** Can take a request now (the phase mirror lags inside a transition, so the session decides too). */
  get usable(): boolean {
    return this.phase === 'transmission' && this.transmission !== null && this.socket !== null;
  }
}
