/**
 * The client's side of NBD_OPT_ORION_UDP_TRANSPORT (docs/nbd-extensions.md, "UDP transport"):
 * the option it sends and how the server's NBD_REP_ORION_UDP is recorded. Kept apart from the
 * other private options, whose data is an algorithm list.
 */
import type { ExtensionOutcome } from './handshake-types.ts';
import { NBD_OPT_ORION_UDP_TRANSPORT } from './uapi.ts';
import { encodeUdpOptionData, type UdpGrant } from './udp-datagram.ts';

/** Largest datagram the client asks for by default: a 1500-byte MTU less IPv4 (20) and UDP (8) headers. */
export const UDP_DEFAULT_DATAGRAM = 1472;

export function udpOptionData(datagram = UDP_DEFAULT_DATAGRAM): Uint8Array {
  return encodeUdpOptionData(datagram);
}

/** The outcome after NBD_REP_ORION_UDP, or null when it breaks the protocol (another option, a second grant). */
export function recordUdpGrant(cur: ExtensionOutcome, grant: UdpGrant): ExtensionOutcome | null {
  if (cur.option !== NBD_OPT_ORION_UDP_TRANSPORT || cur.udp) return null;
  return { ...cur, udp: grant };
}

/** ACK of the UDP option without its grant first is a violation. */
export function udpAckValid(cur: ExtensionOutcome): boolean {
  return cur.option !== NBD_OPT_ORION_UDP_TRANSPORT || cur.udp !== undefined;
}

/** The UDP grant in force, or null when refused or not asked. */
export function grantedUdp(outcomes: readonly ExtensionOutcome[]): UdpGrant | null {
  for (const o of outcomes) if (o.option === NBD_OPT_ORION_UDP_TRANSPORT && o.granted && o.udp) return o.udp;
  return null;
}
