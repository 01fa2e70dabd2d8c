/**
 * The server's answer to NBD_OPT_ORION_UDP_TRANSPORT (docs/nbd-extensions.md, "UDP transport"):
 * the host's UDP listener grants a port, a datagram size and a session token (ServerConfig.udp);
 * without one the option is refused with NBD_REP_ERR_UNSUP, as a standard server refuses it.
 */
import { encodeOptionReply, encodeRepAck, encodeRepError } from '../../../../drivers/nbd/protocol/encode-handshake.ts';
import { encodeUdpGrant, parseUdpOptionData, UdpDatagramError } from '../../../../drivers/nbd/protocol/udp-datagram.ts';
import { NBD_OPT_ORION_UDP_TRANSPORT, NBD_REP_ERR_INVALID, NBD_REP_ERR_UNSUP, NBD_REP_ORION_UDP } from '../../../../drivers/nbd/protocol/uapi.ts';
import type { Session } from './types.ts';

export function handleUdpOption(s: Session, data: Uint8Array): void {
  const opt = NBD_OPT_ORION_UDP_TRANSPORT;
  const refuse = (type: number, message: string) => {
    s.trace('option.error', { option: 'NBD_OPT_ORION_UDP_TRANSPORT', type, message });
    s.sendNow(encodeRepError(opt, type, message));
  };
  const udp = s.server.config.udp;
  if (!udp) return refuse(NBD_REP_ERR_UNSUP, 'NBD_OPT_ORION_UDP_TRANSPORT is not enabled on this server');
  const datagram = parseUdpOptionData(data);
  if (datagram instanceof UdpDatagramError) return refuse(NBD_REP_ERR_INVALID, datagram.message);
  if (s.compression !== 0 || s.checksum !== 0) return refuse(NBD_REP_ERR_UNSUP, 'the UDP transport does not carry payload frames (compression, checksums)');
  const grant = udp.grant(s, datagram);
  if (!grant) return refuse(NBD_REP_ERR_UNSUP, 'no UDP listener');
  s.udp = grant;
  s.trace('option.granted', { option: 'NBD_OPT_ORION_UDP_TRANSPORT', port: grant.port, datagram: grant.datagram });
  s.sendNow(encodeOptionReply(opt, NBD_REP_ORION_UDP, encodeUdpGrant(grant)));
  s.sendNow(encodeRepAck(opt));
}
