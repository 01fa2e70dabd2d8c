/**
 * `[expect] device` per NBD device: a bare state or a table without `name` applies to every
 * device, `name` to one, an array to several. A name that is no device of the scenario, or a
 * device named twice, is refused: the expectation would otherwise check nothing.
 */
import type { DeviceExpectation } from './types.ts';

type Entry = { readonly name?: string | undefined; readonly state: 'ready' | 'failed'; readonly reason?: string | undefined };
type Refuse = (path: (string | number)[], reason: string) => never;

export function deviceExpectations(
  v: 'ready' | 'failed' | Entry | readonly Entry[] | undefined, devices: readonly string[], refuse: Refuse,
): DeviceExpectation[] | undefined {
  if (v === undefined) return undefined;
  const entries: readonly Entry[] = typeof v === 'string' ? [{ state: v }] : Array.isArray(v) ? v : [v as Entry];
  const seen = new Set<string | undefined>();
  const out = entries.map((e, i) => {
    const at = (key: string): (string | number)[] => (Array.isArray(v) ? ['expect', 'device', i, key] : ['expect', 'device', key]);
    if (e.name !== undefined && !devices.includes(e.name)) {
      refuse(at('name'), `no NBD device "${e.name}" (devices: ${devices.map((d) => `"${d}"`).join(', ') || 'none'})`);
    }
    if (seen.has(e.name)) refuse(at('name'), e.name === undefined ? 'only one entry may leave out name (it applies to every device)' : `device "${e.name}" named twice`);
    seen.add(e.name);
    return { device: e.name, state: e.state, reason: e.reason };
  });
  // Only "ready" for every device: the default, nothing to keep.
  return out.every((e) => e.state === 'ready' && e.device === undefined) ? undefined : out;
}
