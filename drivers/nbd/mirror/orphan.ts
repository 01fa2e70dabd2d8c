/**
 * A region no replica holds any more: every replica that held it dropped out (a write in flight
 * on all of them, or the last holder lost its connection). The one whose copy stopped being held
 * last has the newest acknowledged content — no write to the region succeeded since, as a write
 * needs a holder's acknowledgement — and becomes its holder again, unless it dropped out with
 * writes there it had not flushed (suspect: its host may have crashed) or its host restarted
 * since (lost). Then no copy is known good, and the region stays unreadable rather than serve
 * stale data: the device fails it.
 */
import type { Mirror } from './mirror.ts';
import type { Replica } from './replica.ts';

/** The replica that takes region `g` back (its bit cleared), or null (some replica still holds it, or none can be trusted). */
export function adoptOrphan(m: Mirror, g: number): Replica | null {
  let last: Replica | null = null;
  for (const r of m.replicas) {
    if (!r || !m.host.present(r.server)) continue;
    if (m.holds(r, g)) return null;
    const at = r.dirtiedAt.get(g) ?? 0;
    if (at > 0 && (!last || at > last.dirtiedAt.get(g)!)) last = r;
  }
  if (!last || last.suspect.has(g) || last.lost.has(g)) return null;
  last.clean(g);
  return last;
}
