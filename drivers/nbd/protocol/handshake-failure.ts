/** Typed failures of the handshake, derived from the event that ended it. */
import type { FailureKind, HandshakeEvent, HandshakeFailure } from './handshake-types.ts';
import {
  NBD_OPT_NAMES, NBD_REP_ERR_BLOCK_SIZE_REQD, NBD_REP_ERR_POLICY, NBD_REP_ERR_SHUTDOWN, NBD_REP_ERR_TLS_REQD,
  NBD_REP_ERR_UNKNOWN, NBD_REP_NAMES,
} from './uapi.ts';

const ERROR_KINDS: Record<number, FailureKind> = {
  [NBD_REP_ERR_TLS_REQD]: 'tls-required', [NBD_REP_ERR_POLICY]: 'policy', [NBD_REP_ERR_UNKNOWN]: 'unknown-export',
  [NBD_REP_ERR_BLOCK_SIZE_REQD]: 'block-size-required', [NBD_REP_ERR_SHUTDOWN]: 'shutdown',
};

/** A typed failure from the event that ended negotiation; `kind` overrides the derived one. */
export function failureOf(currentOption: number, e: HandshakeEvent, kind?: FailureKind): HandshakeFailure {
  const opt = NBD_OPT_NAMES[currentOption] ?? `option ${currentOption}`;
  switch (e.type) {
    case 'PROTOCOL_ERROR':
      return { kind: 'protocol', message: e.error.message, option: currentOption, protocolError: e.error };
    case 'EOF':
      return { kind: kind ?? 'eof', message: `server closed the connection during ${opt}`, option: currentOption };
    case 'TLS_FAILED':
      return { kind: 'tls-failed', message: `TLS handshake failed: ${e.reason}` };
    case 'OPTION_REPLY': {
      const r = e.reply;
      if (r.kind === 'error') {
        const name = NBD_REP_NAMES[r.replyType] ?? `error reply 0x${r.replyType.toString(16)}`;
        return {
          kind: kind ?? ERROR_KINDS[r.replyType] ?? 'option-error', option: r.option, replyType: r.replyType,
          message: `${opt} failed: ${name}${r.message ? ` (${r.message})` : ''}`,
        };
      }
      return { kind: kind ?? 'protocol', option: r.option, message: `${opt}: unexpected ${r.kind} reply` };
    }
    default:
      return { kind: kind ?? 'protocol', message: `unexpected ${e.type} during ${opt}` };
  }
}
