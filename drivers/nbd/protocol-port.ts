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

/** Outputs of the reply parser, per decoded piece. Called synchronously from `feed`. */
export interface ReplySink {
  /** Read data for `cookie`, landing at byte `at` of the request; valid only during the call. */
  data(cookie: number, at: number, bytes: Uint8Array): void;
  /** A hole: `length` zero bytes at byte `at` of the request. */
  hole(cookie: number, at: number, length: number): void;
  /** Final reply for `cookie`; errno 0 = success (error chunks of structured replies folded in). */
  done(cookie: number, errno: number): void;
  /** Stream is broken (bad magic, unknown cookie, ...): hard disconnect per the spec. */
  fatal(reason: string): void;
  /** Server said ESHUTDOWN: finish in-flight, send nothing new (soft disconnect). */
  shutdown(): void;
}

/** The transmission phase of one connection. */
export interface Transmission {
  /** Writes a request header (cmd: NBD_CMD_*, flags: NBD_CMD_FLAG_* of protocol/uapi.ts) into `out` at `at`; answers its length in bytes (28). */
  encodeRequest(out: Uint8Array, at: number, cmd: number, flags: number, cookie: number, offset: number, length: number): number;
  /** Tells the parser a request with this cookie is outstanding (READ replies are checked against offset/length). */
  expect(cookie: number, cmd: number, offset: number, length: number): void;
  /** Forgets an outstanding cookie (its connection gave up on it). */
  forget(cookie: number): void;
  feed(bytes: Uint8Array): void;
  /** Encodes NBD_CMD_DISC into `out`; answers the length. */
  encodeDisconnect(out: Uint8Array, at: number): number;
}

/** Creates handshakes and transmission sessions; one per device. */
export interface ProtocolEngine {
  handshake(opts: HandshakeOptions, sink: HandshakeSink): Handshake;
  transmission(info: ExportInfo, sink: ReplySink): Transmission;
}

/** cookie = generation << 32 | tag, kept exact in a double (generation < 2^21). */
export const cookieOf = (generation: number, tag: number): number => generation * 0x1_0000_0000 + tag;
export const tagOfCookie = (cookie: number): number => cookie % 0x1_0000_0000;
export const generationOfCookie = (cookie: number): number => Math.floor(cookie / 0x1_0000_0000);
