/**
 * Backend identity at load time: every server of one NBD device must serve the same store
 * (drivers/nbd/config/backend.ts). A scenario knows what each export really is — a shared
 * volume or a server's own disk — so a device over two different stores is refused before the
 * run, naming both; so is a `nbd-server-add` in the timeline that would add a different store.
 */
import { deviceOfServer, isMirror, mismatch } from '../../drivers/nbd/config/backend.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';
import type { ServerSpec, TimelineEvent } from './types.ts';
import { nbdDeviceGroups, splitDevice } from './devices.ts';

/** The backend a scenario server serves under an export name, if it has that export. */
export function servedBackend(servers: readonly ServerSpec[], server: string, exportName: string): string | undefined {
  return servers.find((h) => h.name === server)?.exports.find((e) => e.name === exportName)?.backend;
}

/** The first `[nbd] servers` entry whose served store differs from its device's: index and reason. */
export function mixedServedBackend(nbd: NbdConfig, servers: readonly ServerSpec[]): { index: number; reason: string } | undefined {
  const first = new Map<string, { id: string; who: string }>();
  const mirrors = new Set(nbd.exports.filter((e) => e.mode === 'mirror').map((e) => e.name));
  for (let i = 0; i < nbd.servers.length; i++) {
    const s = nbd.servers[i]!;
    // A mirror's replicas are distinct stores the driver keeps equal (drivers/nbd/mirror).
    if (mirrors.has(s.export)) continue;
    const id = servedBackend(servers, s.name, s.export);
    if (id === undefined) continue;
    const dev = deviceOfServer(s, nbd.servers, nbd.exports);
    const wanted = s.backend ?? nbd.backend;
    if (wanted !== undefined && wanted !== id) {
      return { index: i, reason: mismatch(dev, `server "${s.name}"`, id, 'the [nbd] configuration', wanted) };
    }
    const seen = first.get(dev);
    if (seen && seen.id !== id) return { index: i, reason: mismatch(dev, `server "${s.name}"`, id, seen.who, seen.id) };
    if (!seen) first.set(dev, { id, who: `server "${s.name}"` });
  }
  return undefined;
}

/**
 * `[nbdN] nbd-server-add NAME [PORT] [EXPORT] [ADDRESS] [BACKEND]` in the timeline: the store
 * NAME serves must be its device's. Returns the offending event's index and why, if any.
 */
export function mixedAddedServer(
  timeline: readonly TimelineEvent[], nbd: NbdConfig, servers: readonly ServerSpec[],
): { index: number; reason: string } | undefined {
  const groups = nbdDeviceGroups(nbd);
  for (const ev of timeline) {
    if (ev.action !== 'mgmt') continue;
    const { device, argv } = splitDevice(ev.argv);
    if (argv[0] !== 'nbd-server-add' || argv[1] === undefined) continue;
    const group = device === undefined ? groups[0] : groups.find((g) => g.device === device);
    const first = group?.config.servers[0];
    if (!group || !first || isMirror(group.config)) continue;
    const deviceId = nbd.backend ?? first.backend ?? servedBackend(servers, first.name, first.export);
    const name = argv[1];
    const id = argv[5] ?? servedBackend(servers, name, argv[3] ?? first.export);
    if (id !== undefined && deviceId !== undefined && id !== deviceId) {
      return { index: ev.index, reason: mismatch(group.device, `server "${name}"`, id, `server "${first.name}"`, deviceId) };
    }
  }
  return undefined;
}
