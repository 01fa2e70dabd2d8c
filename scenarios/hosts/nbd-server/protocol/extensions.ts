/**
 * The server's answers to the Orion private options (docs/nbd-extensions.md): pick the first
 * algorithm of the client's list that this server implements, reply NBD_REP_ORION_CHOSEN then
 * NBD_REP_ACK; refuse with NBD_REP_ERR_UNSUP what it does not implement (as a standard server).
 */
import { parseAlgorithmList } from '../../../../drivers/nbd/protocol/decode-requests.ts';
import { encodeRepAck, encodeRepChosen, encodeRepError } from '../../../../drivers/nbd/protocol/encode-handshake.ts';
import { ProtocolError } from '../../../../drivers/nbd/protocol/errors.ts';
import {
  NBD_OPT_NAMES, NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_COMPRESSION, NBD_REP_ERR_INVALID, NBD_REP_ERR_UNSUP,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import type { Session } from './types.ts';

/** True when `option` is a private option this module answers. */
export function isPrivateOption(option: number): boolean {
  return option === NBD_OPT_ORION_COMPRESSION || option === NBD_OPT_ORION_CHECKSUM;
}

export function handlePrivateOption(s: Session, option: number, data: Uint8Array): void {
  const ext = s.server.config.extensions;
  const implemented = option === NBD_OPT_ORION_COMPRESSION ? ext?.compression : ext?.checksum;
  const refuse = (type: number, message: string) => {
    s.trace('option.error', { option: NBD_OPT_NAMES[option] ?? option, type, message });
    s.sendNow(encodeRepError(option, type, message));
  };
  if (!implemented || implemented.length === 0) return refuse(NBD_REP_ERR_UNSUP, `${NBD_OPT_NAMES[option]} is not enabled on this server`);
  const offered = parseAlgorithmList(data);
  if (offered instanceof ProtocolError) return refuse(NBD_REP_ERR_INVALID, offered.message);
  const pick = offered.find((a) => implemented.includes(a));
  if (pick === undefined) return refuse(NBD_REP_ERR_UNSUP, `no algorithm in common (offered ${offered.join(',')})`);
  s.trace('option.granted', { option: NBD_OPT_NAMES[option], algorithm: pick });
  s.sendNow(encodeRepChosen(option, pick));
  s.sendNow(encodeRepAck(option));
  if (option === NBD_OPT_ORION_COMPRESSION) s.compression = pick;
  else {
    // From here on, option requests and replies are sealed with their checksums (after this ACK).
    s.checksum = pick;
    s.decoder.optionsSealed = true;
  }
}
