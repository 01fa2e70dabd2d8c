/**
 * Typed protocol errors. Every malformed or unexpected input becomes a ProtocolError value whose
 * verdict says what the spec requires of the receiver; parsers return these, they never throw.
 */

/**
 * - `hard-disconnect`: the peer broke a MUST; drop the connection (proto.md "Terminating").
 * - `soft-disconnect`: the peer asked us to go (NBD_ESHUTDOWN, NBD_REP_ERR_SHUTDOWN); send
 *   NBD_CMD_DISC / NBD_OPT_ABORT and close.
 * - `fail-request`: only the request named by the cookie fails; the connection carries on.
 */
export type Verdict = 'hard-disconnect' | 'soft-disconnect' | 'fail-request';

export type ProtocolErrorCode =
  | 'bad-magic'
  | 'oldstyle'
  | 'bad-length'
  | 'bad-value'
  | 'payload-too-large'
  | 'unknown-reply-type'
  | 'unexpected-reply'
  | 'unknown-chunk-type'
  | 'unexpected-chunk-type'
  | 'unknown-error-chunk'
  | 'structured-not-negotiated'
  | 'extended-not-negotiated'
  | 'simple-reply-to-structured-read'
  | 'unknown-cookie'
  | 'stale-cookie'
  | 'out-of-bounds'
  | 'fragmented'
  | 'bad-block-size'
  | 'trailing-bytes'
  | 'shutdown'
  | 'eof'
  /** Orion checksum extension: a header or buffered chunk payload failed its CRC-32C (docs/nbd-extensions.md). */
  | 'header-checksum';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    readonly verdict: Verdict,
    /** Which message or field of which stream, e.g. `reply.chunk.length`. */
    readonly where: string,
    detail: string,
  ) {
    super(`${where}: ${detail} [${code}, ${verdict}]`);
  }
}

export function hard(code: ProtocolErrorCode, where: string, detail: string): ProtocolError {
  return new ProtocolError(code, 'hard-disconnect', where, detail);
}

export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
