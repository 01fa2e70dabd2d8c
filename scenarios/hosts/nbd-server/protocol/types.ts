import type { Bugs } from '../../../../hw-sim/engine/bugs.ts';
import type { RequestDecoder } from '../../../../drivers/nbd/protocol/decode-requests.ts';
import type { ProtocolError } from '../../../../drivers/nbd/protocol/errors.ts';
import type { FrameCpu } from '../../../../drivers/nbd/protocol/frame-cost.ts';
import type { UdpGrant } from '../../../../drivers/nbd/protocol/udp-datagram.ts';
import type { Rng } from '../../../../hw-sim/engine/rng.ts';
import type { BlockStore } from '../store/block-store.ts';
import type { ServerFaults } from './faults.ts';
import type { ReplyScratch } from './reply-scratch.ts';
import type { RequestPool, ServerRequest } from './request.ts';
import type { WireCounts } from './wire-counts.ts';

// The shapes the server's files share, below all of them: the configuration, the server as a
// session sees it, and the session as the handshake, command, reply and UDP code see it
// (ServerSession implements it), so none of those files imports session.ts or server.ts back.

/** Block-size constraints a server advertises with NBD_INFO_BLOCK_SIZE (proto.md "Size constraints"). */
export interface BlockSizes {
  min: number;
  pref: number;
  max: number;
}

/** One export the server offers. */
export interface ServerExport {
  name: string;
  description?: string;
  store: BlockStore;
  readOnly?: boolean;
  /** Advertise NBD_FLAG_CAN_MULTI_CONN (the store is consistent across connections); default true. */
  multiConn?: boolean;
  rotational?: boolean;
  /** Advertised, and enforced: requests not aligned to `min` or longer than `max` fail with EINVAL. */
  blockSize?: BlockSizes;
  /**
   * Access list: client addresses or TLS identities (`psk:<user>`) allowed to use this export.
   * Absent = everyone. Others get NBD_REP_ERR_POLICY (or a closed connection after EXPORT_NAME).
   */
  allow?: readonly string[];
  /** Identities (same forms as `allow`) granted read-only access: NBD_FLAG_READ_ONLY, writes fail with EPERM. */
  readOnlyFor?: readonly string[];
}

export type TlsMode = 'off' | 'optional' | 'require';

export interface ServerConfig {
  exports: readonly ServerExport[];
  /** Export used for the empty name ('' in EXPORT_NAME/GO); default: the first export. */
  defaultExport?: string;
  /** STARTTLS: not offered, offered, or required before anything else (NBD_REP_ERR_TLS_REQD). */
  tls?: TlsMode;
  /** Reject clients that do not set NBD_FLAG_C_FIXED_NEWSTYLE; default false (accepted). */
  requireFixedNewstyle?: boolean;
  /** Refuse NBD_OPT_STRUCTURED_REPLY with ERR_UNSUP (behave like an old server); default false. */
  noStructuredReplies?: boolean;
  /** Refuse NBD_OPT_EXTENDED_HEADERS with ERR_UNSUP (as servers before it do); default false (granted). */
  noExtendedHeaders?: boolean;
  /**
   * Orion private extensions this server grants (docs/nbd-extensions.md): the algorithms it
   * implements per extension. Absent: the option is refused with NBD_REP_ERR_UNSUP, as a
   * standard server does.
   */
  extensions?: ServerExtensions;
  /** Grants the UDP transport (the host's UDP listener); absent: refused with NBD_REP_ERR_UNSUP. */
  udp?: ServerUdp;
}

/** The host's UDP listener as the handshake sees it: a grant for a session, or null (cannot now). */
export interface ServerUdp {
  grant(s: Session, datagram: number): UdpGrant | null;
}

export interface ServerExtensions {
  compression?: readonly number[];
  checksum?: readonly number[];
}

/** Who is on the other end, for access lists. */
export interface ClientIdentity {
  address: string;
  /** Set by the host after a TLS-PSK handshake. */
  tlsIdentity?: string;
}

export interface NbdServerOptions {
  /** Trace source and RNG prefix, e.g. `server-a/nbd-server`. */
  name: string;
  /** Named RNG streams (engine.rng.get in the simulator, any seeded source in tools). */
  rngOf: (name: string) => Rng;
  /** A trace record per request (default true; off for benchmarks). */
  traceRequests?: boolean;
  /** Injected server bugs (the engine's, in the simulator); none by default. */
  bugs?: Bugs;
  /** Charge payload compression and checksums to the host's CPU (absent: free, as in tools). */
  frameCpu?: FrameCpu;
}

/** What a session needs from its connection. In the simulator: a kernel socket; in tools: node:net. */
export interface ServerIo {
  /**
   * Queues bytes to the client. Valid during the call only: reply headers come from the
   * session's reused scratch and read data may be the store's pooled buffer, so copy what is not
   * sent at once (a kernel socket's send() copies what it accepts). `more`: the next piece of
   * the same reply follows at once (MSG_MORE), so header and payload may leave together.
   */
  send(bytes: Uint8Array, more?: boolean): void;
  /** Optional: send() of `len` bytes at `off` in `bytes` (read data in the store's page memory). */
  sendRange?(bytes: Uint8Array, off: number, len: number, more: boolean): void;
  /** Optional: send(head, more) then sendRange(bytes, off, len, false), in one socket call. */
  sendPair?(head: Uint8Array, bytes: Uint8Array, off: number, len: number): void;
  /** Closes the connection (orderly). */
  close(): void;
  /** Upgrades the connection to TLS; the host calls `session.tlsReady(identity)` when done. */
  startTls?(): void;
  /** Runs `fn` after `delayNs` (virtual time in the simulator). */
  schedule(delayNs: number, fn: () => void): void;
  trace?(kind: string, data?: Record<string, unknown>): void;
  /**
   * The `request` and `reply` records by value (the host writes them without a data object); a
   * host without them gets them through `trace` as {cmd, flags, cookieHi, cookieLo, offset,
   * length, rid?} and {cookieHi, cookieLo, bytes}.
   */
  traceRequest?(cmd: string | number, flags: number, cookieHi: number, cookieLo: number, offset: number, length: number, rid: number): void;
  traceReply?(cookieHi: number, cookieLo: number, bytes: number): void;
  /** Trace context: the client's block request id behind a cookie, if the host knows it. */
  requestId?(cookieHi: number, cookieLo: number): number | undefined;
  /** Trace context: the bytes sent next are the reply to this cookie. */
  replyStarts?(cookieHi: number, cookieLo: number): void;
}

export type SessionPhase = 'handshake' | 'tls-wait' | 'transmission' | 'closed';

/** What a session needs from the server it belongs to (NbdServer implements it). */
export interface SessionServer {
  readonly config: ServerConfig;
  readonly opts: NbdServerOptions;
  readonly faults: ServerFaults;
  readonly bugs: Bugs;
  readonly wire: WireCounts;
  /** The session closed. */
  forget(s: Session): void;
}

/** One NBD connection's server side as its handshake, commands and replies see it (see ServerSession). */
export interface Session {
  readonly server: SessionServer;
  readonly io: ServerIo;
  readonly who: ClientIdentity;
  readonly decoder: RequestDecoder;
  phase: SessionPhase;
  noZeroes: boolean;
  structured: boolean;
  tlsActive: boolean;
  extended: boolean;
  compression: number;
  checksum: number;
  udp: UdpGrant | null;
  metaExport: string | null;
  export: ServerExport | null;
  readOnly: boolean;
  transmissionFlags: number;
  inFlight: number;
  pendingWrite: ServerRequest<Session> | null;
  readonly requests: RequestPool<Session>;
  readonly replies: ReplyScratch;
  trace(kind: string, data?: Record<string, unknown>): void;
  sendNow(bytes: Uint8Array): void;
  close(reason: string): void;
  fail(err: ProtocolError): void;
  requestDone(): void;
  disconnectWhenIdle(): void;
}
