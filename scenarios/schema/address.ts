/**
 * Load-time check of a server address against the simulated fabric: the client is 10.0.0.1/24
 * (runner/topology.ts) and routes only its own subnet, so an address outside it, or not an IPv4
 * address at all, would fail only when the driver connects. Returns the problem, or undefined.
 */
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export const CLIENT_SUBNET = '10.0.0.0/24';
const CLIENT_ADDRESS = '10.0.0.1';

/** `hostNames`: names that resolve as scenario hosts (a [[server]] name); empty where only an address will do. */
export function addressProblem(addr: string, hostNames: readonly string[] = []): string | undefined {
  if (hostNames.includes(addr)) return undefined;
  const m = DOTTED_QUAD.exec(addr);
  const octets = m ? m.slice(1).map(Number) : [];
  const what = hostNames.length > 0 ? 'an IPv4 address or a [[server]] name' : 'an IPv4 address';
  if (!m || octets.some((o) => o > 255)) return `"${addr}" is not ${what}`;
  if (octets[0] !== 10 || octets[1] !== 0 || octets[2] !== 0) return `"${addr}" is outside the fabric's subnet ${CLIENT_SUBNET}: the client has no route to it`;
  if (addr === CLIENT_ADDRESS || octets[3] === 0 || octets[3] === 255) return `"${addr}" is the client's own address or the subnet's network or broadcast address`;
  return undefined;
}
