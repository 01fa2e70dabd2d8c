/** Inputs, outputs and events of the client handshake machine. */
import type { OptionReply } from './decode-handshake-replies.ts';
import type { ProtocolError } from './errors.ts';
import type { UdpGrant } from './udp-datagram.ts';

export type TlsMode = 'off' | 'prefer' | 'require';

export interface HandshakeConfig {
  /** Export to open (default '', the server's default export). */
  exportName?: string;
  /** STARTTLS: never, when the server agrees, or mandatory (default 'off'). */
  tls?: TlsMode;
  /** Ask for NBD_OPT_STRUCTURED_REPLY (default true). */
  structuredReplies?: boolean;
  /** Contexts for NBD_OPT_SET_META_CONTEXT (default ['base:allocation']; [] skips the option). */
  metaContexts?: readonly string[];
  /** List the server's exports with NBD_OPT_LIST, then NBD_OPT_ABORT, instead of opening one. */
  list?: boolean;
  /** Ask for NBD_OPT_EXTENDED_HEADERS before structured replies (default false). */
  extendedHeaders?: boolean;
  /** Orion private extensions to ask for (docs/nbd-extensions.md); each is optional. */
  extensions?: ExtensionRequest;
}

/** Algorithms offered per private option, most preferred first; absent or [] = not asked. */
export interface ExtensionRequest {
  /** The standard NBD_OPT_EXTENDED_HEADERS (carried here so one request says everything to ask for). */
  extendedHeaders?: boolean;
  compression?: readonly number[];
  checksum?: readonly number[];
  /** Ask for NBD_OPT_ORION_UDP_TRANSPORT (transmission in UDP datagrams). */
  udpTransport?: boolean;
  /** Largest datagram the client takes (default udp-option.ts UDP_DEFAULT_DATAGRAM). */
  udpDatagram?: number;
}

/** What the server answered to one private option (or to NBD_OPT_EXTENDED_HEADERS). */
export interface ExtensionOutcome {
  option: number;
  granted: boolean;
  /** The algorithm picked (NBD_REP_ORION_CHOSEN), 0 when none. */
  algorithm: number;
  /** The error reply type when refused, else 0. */
  replyType: number;
  /** NBD_REP_ORION_UDP's grant (the UDP option only). */
  udp?: UdpGrant;
}

export type FailureKind =
  | 'tls-required' // NBD_REP_ERR_TLS_REQD
  | 'policy' // NBD_REP_ERR_POLICY
  | 'unknown-export' // NBD_REP_ERR_UNKNOWN, or the server hung up after NBD_OPT_EXPORT_NAME
  | 'block-size-required' // NBD_REP_ERR_BLOCK_SIZE_REQD
  | 'option-error' // any other option error reply
  | 'tls-unavailable' // TLS required but the server refused STARTTLS or is not fixed newstyle
  | 'tls-failed' // the transport's TLS handshake failed
  | 'shutdown' // NBD_REP_ERR_SHUTDOWN
  | 'not-fixed-newstyle' // cannot LIST on a server without fixed newstyle
  | 'protocol' // a ProtocolError from the decoder or an unexpected reply
  | 'eof'; // the server closed the connection

export interface HandshakeFailure {
  kind: FailureKind;
  message: string;
  option?: number;
  replyType?: number;
  protocolError?: ProtocolError;
}

export interface ExportListing {
  name: string;
  description: string;
}

/** What the handshake agreed: everything the transmission phase needs. */
export interface NegotiatedExport {
  exportName: string;
  /** Export size; exact below 2^53 (see sizeBig). */
  size: number;
  sizeBig: bigint;
  transmissionFlags: number;
  minBlock: number;
  prefBlock: number;
  maxPayload: number;
  /** Whether the server sent NBD_INFO_BLOCK_SIZE (else the proto.md defaults apply). */
  blockSizeAdvertised: boolean;
  structuredReplies: boolean;
  /** Selected metadata contexts: name → id. */
  metaContexts: Record<string, number>;
  tls: boolean;
  /** True when NBD_OPT_GO was unsupported and NBD_OPT_EXPORT_NAME was used. */
  viaExportName: boolean;
  /** NBD_INFO_DESCRIPTION, when sent. */
  description: string;
  /** NBD_OPT_EXTENDED_HEADERS was acknowledged: 32-byte requests and replies. */
  extendedHeaders: boolean;
  /** Compression algorithm in force (NBD_ORION_COMPRESS_*), 0 when off. */
  compression: number;
  /** Checksum algorithm in force (NBD_ORION_CHECKSUM_*), 0 when off. */
  checksum: number;
  /** Every extension option sent, with the server's answer, in order. */
  extensions: ExtensionOutcome[];
  /** The UDP transport granted (docs/nbd-extensions.md), null when refused or not asked. */
  udp?: UdpGrant | null;
}

export type HandshakeEvent =
  | { type: 'GREETING'; handshakeFlags: number }
  | { type: 'OPTION_REPLY'; reply: OptionReply }
  | { type: 'EXPORT_NAME_REPLY'; size: bigint; transmissionFlags: number }
  | { type: 'TLS_READY' }
  | { type: 'TLS_FAILED'; reason: string }
  | { type: 'PROTOCOL_ERROR'; error: ProtocolError }
  | { type: 'EOF' };

/** Requests to the host: write bytes to the peer; upgrade the transport to TLS now. */
export type HandshakeEmitted = { type: 'send'; bytes: Uint8Array } | { type: 'start-tls' };
