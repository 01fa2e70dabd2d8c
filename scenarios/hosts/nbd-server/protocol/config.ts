import type { BlockStore } from '../store/block-store.ts';
import type { UdpGrant } from '../../../../drivers/nbd/protocol/udp-datagram.ts';
import type { ServerSession } from './session.ts';

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
  grant(s: ServerSession, datagram: number): UdpGrant | null;
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

/** Default maximum payload when an export sets no block sizes (proto.md: 32 MiB). */
export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;

/** Validates a server configuration; throws with the export and field at fault. */
export function validateServerConfig(cfg: ServerConfig): void {
  if (cfg.exports.length === 0) throw new RangeError('server config: at least one export is required');
  const seen = new Set<string>();
  for (const [i, e] of cfg.exports.entries()) {
    const where = `server config: exports[${i}] ('${e.name}')`;
    if (seen.has(e.name)) throw new RangeError(`${where}: duplicate export name`);
    seen.add(e.name);
    if (new TextEncoder().encode(e.name).length > 4096) throw new RangeError(`${where}: name longer than 4096 bytes`);
    const b = e.blockSize;
    if (b) {
      const pow2 = (v: number) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;
      if (!pow2(b.min) || b.min > 65536) throw new RangeError(`${where}: blockSize.min ${b.min} must be a power of 2 ≤ 65536`);
      if (!pow2(b.pref) || b.pref < Math.max(b.min, 512)) throw new RangeError(`${where}: blockSize.pref ${b.pref} must be a power of 2 ≥ max(min, 512)`);
      if (!(b.max >= b.pref) || b.max % b.min !== 0) throw new RangeError(`${where}: blockSize.max ${b.max} must be ≥ pref and a multiple of min`);
    }
  }
  if (cfg.defaultExport !== undefined && !seen.has(cfg.defaultExport)) {
    throw new RangeError(`server config: defaultExport '${cfg.defaultExport}' is not an export`);
  }
}

/** The export a name refers to ('' = the default export), or undefined. */
export function findExport(cfg: ServerConfig, name: string): ServerExport | undefined {
  const wanted = name === '' ? (cfg.defaultExport ?? cfg.exports[0]?.name) : name;
  return cfg.exports.find((e) => e.name === wanted);
}

/** Whether `who` is named in `list`: by address, or as `psk:<TLS-PSK identity>`. */
function names(list: readonly string[], who: ClientIdentity): boolean {
  return list.includes(who.address) || (who.tlsIdentity !== undefined && list.includes(`psk:${who.tlsIdentity}`));
}

export function allowed(e: ServerExport, who: ClientIdentity): boolean {
  return !e.allow || names(e.allow, who);
}

/** Read-only for this client: the whole export, or a read-only grant naming the client. */
export function readOnlyFor(e: ServerExport, who: ClientIdentity): boolean {
  return e.readOnly === true || (e.readOnlyFor !== undefined && names(e.readOnlyFor, who));
}
