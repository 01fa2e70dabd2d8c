/**
 * What the driver needs from the sans-I/O protocol engine (drivers/nbd/protocol, engineer E4).
 * ProtocolManager holds one of these per connection; the adapter binds it to E4's handshake
 * machine and transmission session, tests bind it to an in-test fake.
 */

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
}

export interface HandshakeOptions {
  readonly exportName: string;
  /** Ask for STARTTLS before anything else. */
  readonly tls: boolean;
  readonly structuredReplies: boolean;
}

/** Outputs of one handshake. */
export interface HandshakeSink {
  send(bytes: Uint8Array): void;
  /** Server accepted STARTTLS: the caller runs TLS, then calls `tlsEstablished()`. */
  startTls(): void;
  ready(info: ExportInfo): void;
  /** Handshake refused or broken; `errno` is what the device reports. */
  failed(reason: string, errno: number): void;
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

/** What a transmission session reports, per request and per connection. Called synchronously from `feed`. */
export interface ReplySink {
  /** The reply for the request of driver tag `tag` is complete (READ data already in its buffer); errno 0 = success. */
  done(tag: number, errno: number): void;
  /** Stream is broken (bad magic, unknown cookie, ...): hard disconnect per the spec. */
  fatal(reason: string): void;
  /** Server said ESHUTDOWN: finish in-flight, send nothing new (soft disconnect). */
  shutdown(): void;
}

/** The transmission phase of one connection (cookies, reply reassembly and validation live inside). */
export interface Transmission {
  /**
   * Sends a request: cmd NBD_CMD_*, flags NBD_CMD_FLAG_* of protocol/uapi.ts. `data` is the source
   * of a WRITE or the destination of a READ (at least `length` bytes). Answers 0, or the errno
   * the request fails with when it may not be sent (flag not advertised, out of bounds, ...).
   */
  submit(tag: number, cmd: number, flags: number, offset: number, length: number, data: Uint8Array | null): number;
  /** Received bytes, valid only during the call: what is left undecoded is copied. */
  feed(bytes: Uint8Array): void;
  /** Soft disconnect: NBD_CMD_DISC once nothing is in flight. */
  disconnect(): void;
  /** Connection lost: forget everything in flight (the driver requeues it). */
  abort(): void;
}

export interface TransmissionOptions {
  /** High half of every cookie on this connection: unique per connection incarnation, so a stale reply is rejected. */
  generation: number;
  /** Driver tags (requests in flight at most); the low half of every cookie. */
  tags: number;
  /** Takes the session's bytes, in order. */
  send(bytes: Uint8Array): void;
}

/** Creates handshakes and transmission sessions; one per device. */
export interface ProtocolEngine {
  handshake(opts: HandshakeOptions, sink: HandshakeSink): Handshake;
  transmission(info: ExportInfo, sink: ReplySink, opts: TransmissionOptions): Transmission;
}

