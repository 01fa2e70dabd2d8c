/**
 * Load-time check of a server address against the simulated fabric: the client is
 * CLIENT_ADDRESS/24 (runner/topology.ts builds it from here) and routes only its own subnet, so an
 * address outside it, or not an IPv4 address at all, would otherwise fail only when the driver
 * connects. Returns the problem, or undefined.
 */
import { ipToString, parseIp } from '../../hw-sim/net/packet.ts';

export const CLIENT_ADDRESS = '10.0.0.1';
const PREFIX_LEN = 24;
const SUBNET = `${ipToString(parseIp(CLIENT_ADDRESS) & ~((1 << (32 - PREFIX_LEN)) - 1))}/${PREFIX_LEN}`;

/** The address of a dotted quad written as ipToString writes it (no leading zeros, no spaces), else undefined. */
export function ipv4Of(s: string): number | undefined {
  try {
    const a = parseIp(s);
    return ipToString(a) === s ? a : undefined;
  } catch {
    return undefined;
  }
}

/** `hostNames`: names that resolve as scenario hosts (a [[server]] name); empty where only an address will do. */
export function addressProblem(addr: string, hostNames: readonly string[] = []): string | undefined {
  if (hostNames.includes(addr)) return undefined;
  const a = ipv4Of(addr);
  if (a === undefined) return `"${addr}" is not ${hostNames.length > 0 ? 'an IPv4 address or a [[server]] name' : 'an IPv4 address'}`;
  const hostBits = 32 - PREFIX_LEN;
  if (a >>> hostBits !== parseIp(CLIENT_ADDRESS) >>> hostBits) return `"${addr}" is outside the fabric's subnet ${SUBNET}: the client has no route to it`;
  const host = a & ((1 << hostBits) - 1);
  if (addr === CLIENT_ADDRESS || host === 0 || host === (1 << hostBits) - 1) return `"${addr}" is the client's own address or the subnet's network or broadcast address`;
  return undefined;
}
