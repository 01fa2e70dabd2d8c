/**
 * The extension options of the client handshake (docs/nbd-extensions.md): which private options
 * to send, their bytes, and how each answer is recorded. The handshake machine sends them one
 * at a time after structured replies / meta contexts and before NBD_OPT_GO.
 */
import type { OptionReply } from './decode-handshake-replies.ts';
import { encodeAlgorithmList, encodeOption } from './encode-handshake.ts';
import type { ExtensionOutcome, ExtensionRequest } from './handshake-types.ts';
import { recordUdpGrant, udpAckValid, udpOptionData } from './udp-option.ts';
import {
  NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_COMPRESSION, NBD_OPT_ORION_UDP_TRANSPORT,
  NBD_ORION_MAX_ALGORITHMS,
} from './uapi.ts';

/** One private option to send: the option and the algorithms it offers ([] = no data). */
export interface PrivateOption {
  option: number;
  algorithms: readonly number[];
  /** Option data other than an algorithm list (the UDP option's datagram size). */
  data?: Uint8Array;
}

/** The private options a request asks for, in the order they are sent. */
export function privateOptions(req: ExtensionRequest | undefined): PrivateOption[] {
  const out: PrivateOption[] = [];
  const add = (option: number, algorithms: readonly number[] | undefined) => {
    if (!algorithms || algorithms.length === 0) return;
    if (algorithms.length > NBD_ORION_MAX_ALGORITHMS) throw new RangeError(`at most ${NBD_ORION_MAX_ALGORITHMS} algorithms per option`);
    out.push({ option, algorithms });
  };
  add(NBD_OPT_ORION_COMPRESSION, req?.compression);
  add(NBD_OPT_ORION_CHECKSUM, req?.checksum);
  if (req?.udpTransport) out.push({ option: NBD_OPT_ORION_UDP_TRANSPORT, algorithms: [], data: udpOptionData(req.udpDatagram) });
  return out;
}

export function privateOptionBytes(p: PrivateOption): Uint8Array {
  return encodeOption(p.option, p.data ?? (p.algorithms.length > 0 ? encodeAlgorithmList(p.algorithms) : undefined));
}

/** The outcome list with a fresh entry for `option`, sent just now. */
export function startOutcome(outcomes: readonly ExtensionOutcome[], option: number): ExtensionOutcome[] {
  return [...outcomes, { option, granted: false, algorithm: 0, replyType: 0 }];
}

/**
 * The outcome list after `reply` to the option sent last (whose algorithms were `offered`), or
 * null when the reply breaks the protocol: a second CHOSEN, an algorithm not offered, ACK without
 * CHOSEN where an algorithm was offered, or any other reply kind.
 */
export function recordExtensionReply(
  outcomes: readonly ExtensionOutcome[], offered: readonly number[], reply: OptionReply,
): ExtensionOutcome[] | null {
  const last = outcomes[outcomes.length - 1];
  if (!last) return null;
  const cur = { ...last };
  switch (reply.kind) {
    case 'chosen':
      if (cur.algorithm !== 0 || !offered.includes(reply.algorithm)) return null;
      cur.algorithm = reply.algorithm;
      break;
    case 'udp': {
      const next = recordUdpGrant(cur, reply.grant);
      if (!next) return null;
      return [...outcomes.slice(0, -1), next];
    }
    case 'ack':
      if (offered.length > 0 && cur.algorithm === 0) return null;
      if (!udpAckValid(cur)) return null;
      cur.granted = true;
      break;
    case 'error':
      cur.algorithm = 0;
      cur.replyType = reply.replyType;
      break;
    default:
      return null;
  }
  return [...outcomes.slice(0, -1), cur];
}

/** The algorithm in force for `option`, 0 when refused or not asked. */
export function grantedAlgorithm(outcomes: readonly ExtensionOutcome[], option: number): number {
  for (const o of outcomes) if (o.option === option && o.granted) return o.algorithm;
  return 0;
}
