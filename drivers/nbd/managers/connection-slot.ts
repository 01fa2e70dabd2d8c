import type { AnyActorRef } from 'xstate';
import type { FiledIds } from '../../../hw-sim/engine/trace.ts';
import type { ExportInfo, Handshake, TransmissionPort } from '../protocol-port.ts';
import type { NbdSocket } from '../socket.ts';
import type { TlsChannel } from '../security/tls-channel.ts';
import type { NbdRequest } from '../protocol/request-check.ts';

/** Where a connection stands: the top-level state of its statechart. */
export type ConnPhase = 'idle' | 'connect' | 'handshake' | 'transmission' | 'draining' | 'backoff' | 'dead' | 'closed';

/**
 * NbdConnection: the plain-data side of one connection. The statechart owns the lifecycle;
 * this record holds what the request path touches (socket, session, counters).
 */
export class ConnectionSlot {
  /** The connection's statechart: the only record of its phase. */
  actor: AnyActorRef | null = null;
  socket: NbdSocket | null = null;
  handshake: Handshake | null = null;
  transmission: TransmissionPort | null = null;
  /** The TLS handshake after STARTTLS (its record layer is the socket's, kernel/net/tls). */
  tls: TlsChannel | null = null;
  info: ExportInfo | null = null;
  /** Requests sent and not yet replied to. */
  outstanding = 0;
  /**
   * The rest of a request the socket did not take (its send buffer was full): views of the
   * session's header and the request's own data, sent on onWritable. Nothing new goes on the
   * connection meanwhile, so this holds one request at most (Linux nbd's nsock->pending).
   */
  readonly unsent: Uint8Array[] = [];
  unsentBytes = 0;
  /** The socket is corked for the batch blk-mq is handing over. */
  corked = false;
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
  /** Dead because its reconnect attempts ran out (not refused): the next health check dials it again. */
  givenUp = false;
  /** Virtual time bytes last arrived (reset when a request goes out on an idle connection). */
  lastRxAt = 0;
  /** Virtual time the connection last entered transmission. */
  upSince = 0;
  /** Trace context: the trace bus's request ids of `traceSocket`'s flow (looked up once per socket). */
  traceIds: FiledIds | null = null;
  traceSocket: NbdSocket | null = null;

  constructor(
    /** Index in the device's connection table. */
    readonly index: number,
    /** Index of the server it belongs to. */
    readonly server: number,
  ) {}

  /** The chart's state, read from it (inside one of its transitions: the state it leaves). */
  get phase(): ConnPhase {
    const v = this.actor?.getSnapshot().value as string | Record<string, unknown> | undefined;
    if (v === undefined) return 'idle';
    return (typeof v === 'string' ? v : Object.keys(v)[0]) as ConnPhase;
  }

  /** Can take a request now: the chart is in transmission and the session and socket are bound. */
  get usable(): boolean {
    return this.transmission !== null && this.socket !== null && this.actor!.getSnapshot().value === 'transmission';
  }

  /**
   * Usable, and its socket has room (no rest of an earlier request waiting to be sent); a UDP
   * session must also have room in its window and datagram socket.
   */
  get canSend(): boolean {
    return this.usable && this.unsent.length === 0 && this.socket!.writable > 0 && this.transmission!.hasRoom !== false;
  }

  /** Can send this request now: a UDP session takes only what it can send at once (no queue of its own). */
  canTake(req: Pick<NbdRequest, 'type' | 'offset' | 'length'>): boolean {
    if (!this.canSend) return false;
    const tx = this.transmission!;
    return tx.canTake === undefined || tx.canTake(req);
  }
}
