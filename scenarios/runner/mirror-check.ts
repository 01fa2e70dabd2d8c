/**
 * `[expect] mirror_in_sync`: at the end of the run every replica of every mirror device is back in
 * sync (the driver's view) and the replicas really hold the same bytes — each replica server's
 * disk read directly (what a read from it would return), compared over the whole export — and the
 * resync kept to resync_rate: the copies started before the last one hold no more bytes than the
 * rate allows between the first start and the last (one region of slack).
 */
import { formatNs } from '../checkers/units.ts';
import type { ExpectationResult } from './types.ts';
import type { World } from './world.ts';

const CHUNK = 1 << 20;

export function mirrorVerdict(w: World): ExpectationResult {
  const problems: string[] = [];
  let devices = 0;
  for (const [name, nbd] of w.nbds) {
    const m = nbd.device.mirror;
    if (!m) continue;
    devices++;
    const servers = nbd.device.conns.servers.filter((s) => !s.removed);
    for (const s of servers) {
      const r = m.mirror.replicas[s.index];
      if (r && r.state !== 'in-sync') problems.push(`${name}: replica ${s.cfg.name} is ${r.state} (${r.dirty.size} dirty regions)`);
    }
    const pace = paceProblem(m.resync, m.mirror.regionBytes);
    if (pace) problems.push(`${name}: ${pace}`);
    const disks = servers.map((s) => ({ name: s.cfg.name, disk: w.servers.get(s.cfg.name)?.disks.get(s.cfg.export) }));
    const ref = disks[0];
    if (!ref?.disk) { problems.push(`${name}: no disk for replica ${ref?.name ?? '?'}`); continue; }
    const size = nbd.device.info?.size ?? 0;
    for (const d of disks.slice(1)) {
      if (!d.disk) { problems.push(`${name}: no disk for replica ${d.name}`); continue; }
      const diff = firstDifference(ref.disk, d.disk, size);
      if (diff >= 0) problems.push(`${name}: replicas ${ref.name} and ${d.name} differ at byte ${diff}`);
    }
  }
  if (devices === 0) problems.push('no mirror device (an export with mode = "mirror")');
  return {
    name: 'mirror_in_sync', ok: problems.length === 0, limit: 'every replica in sync, same bytes; resync within resync_rate',
    actual: problems.length === 0 ? `${devices} mirror device(s): replicas in sync and equal` : problems.join('; '),
  };
}

function firstDifference(a: { peek(o: number, l: number): Uint8Array }, b: { peek(o: number, l: number): Uint8Array }, size: number): number {
  for (let off = 0; off < size; off += CHUNK) {
    const n = Math.min(CHUNK, size - off);
    const x = a.peek(off, n);
    const y = b.peek(off, n);
    for (let i = 0; i < n; i++) if (x[i] !== y[i]) return off + i;
  }
  return -1;
}

/** Why the resync went faster than its rate, or undefined. */
function paceProblem(r: { readonly rateBps: number; readonly starts: { firstNs: number; lastNs: number; bytesBeforeLast: number } }, regionBytes: number): string | undefined {
  const s = r.starts;
  if (s.firstNs < 0 || s.lastNs === s.firstNs) return undefined;
  const allowed = (r.rateBps * (s.lastNs - s.firstNs)) / 1e9 + regionBytes;
  if (s.bytesBeforeLast <= allowed) return undefined;
  return `the resync started ${s.bytesBeforeLast} bytes of copies in ${formatNs(s.lastNs - s.firstNs)}, more than resync_rate allows (${Math.floor(allowed)})`;
}
