/**
 * What the driver needs from the sans-I/O protocol engine (drivers/nbd/protocol): a handshake per
 * connection, then the protocol's TransmissionSession itself (no adapter in between).
 */
import type { TransmissionHost, TransmissionSession } from './protocol/transmission.ts';
import type { ExtensionRequest } from './protocol/handshake-types.ts';
import type { FrameCounters } from './protocol/transmission-frames.ts';
import type { UdpGrant } from './protocol/udp-datagram.ts';
import type { NbdRequest } from './protocol/request-check.ts';


/** What the server told us about the export, after option haggling. */
export interface ExportInfo {
  readonly name: string;
  readonly size: number;
  /** NBD transmission flags as the server sent them. */
  readonly transmissionFlags: number;
  readonly canFlush: boolean;
  readonly canFua: boolean;
  readonly canTrim: boolean;
  readonly canWriteZeroes: boolean;
  readonly canCache: boolean;
  readonly canMultiConn: boolean;
  readonly readOnly: boolean;
  readonly structuredReplies: boolean;
  readonly minBlock: number;
  readonly preferredBlock: number;
  readonly maxBlock: number;
  /** NBD_INFO_DESCRIPTION ('' when the server sent none); may carry `backend=ID` (config/backend.ts). */
  readonly description: string;
  /** The UDP transport granted (docs/nbd-extensions.md), absent or null: transmission on TCP. */
  readonly udp?: UdpGrant | null;
  /** The checksum algorithm in force (docs/nbd-extensions.md); absent or 0: none. */
  readonly checksum?: number;
}

/** What the driver uses of a transmission phase: the TCP TransmissionSession or the UDP transport's session. */
export type TransmissionPort = Pick<TransmissionSession, 'submit' | 'feed' | 'detachInput' | 'abort' | 'disconnect' | 'state' | 'inFlight'> & {
  /**
   * A session with no send queue of its own (UDP): whether it can send this request now, and
   * whether it could send any; absent (TCP): the socket's room decides (ConnectionSlot.canSend).
   */
  canTake?(req: Pick<NbdRequest, 'type' | 'offset' | 'length'>): boolean;
  readonly hasRoom?: boolean;
};

export interface HandshakeOptions {
  readonly exportName: string;
  /** STARTTLS before anything else: off, prefer (go on in the clear when refused) or require. */
  readonly tls: 'off' | 'prefer' | 'require';
  readonly structuredReplies: boolean;
  /** Orion private extensions to ask for (docs/nbd-extensions.md). */
  readonly extensions?: ExtensionRequest;
}

/** Outputs of one handshake. */
export interface HandshakeSink {
  send(bytes: Uint8Array): void;
  /** Server accepted STARTTLS: the caller runs TLS, then calls `tlsEstablished()`. */
  startTls(): void;
  ready(info: ExportInfo): void;
  /**
   * Handshake refused or broken; `errno` is what the device reports. `transient`: no well-formed
   * refusal came (a malformed or unexpected reply, the server hung up): worth another connection.
   * `unsealed`: it ended before checksums sealed the negotiation, so a refusal may be damage too.
   */
  failed(reason: string, errno: number, transient?: boolean, unsealed?: boolean): void;
}

export interface Handshake {
  start(): void;
  feed(bytes: Uint8Array): void;
  tlsEstablished(): void;
  /** The server closed the connection mid-handshake (may end it with a reason, e.g. after ABORT). */
  eof(): void;
  /** Bytes received past the end of the handshake (the start of the reply stream). */
  takeLeftover(): Uint8Array[];
}

/** Creates handshakes and transmission sessions; one per device. */
export interface ProtocolEngine {
  handshake(opts: HandshakeOptions, sink: HandshakeSink): Handshake;
  /** The transmission phase of an export this engine negotiated; `generation` is the cookies' high half. */
  transmission(info: ExportInfo, host: TransmissionHost, generation: number, tags: number): TransmissionSession;
  /** Payload-frame counts over all its sessions (compression and checksum extensions), when it keeps them. */
  readonly frameCounters?: FrameCounters;
}
