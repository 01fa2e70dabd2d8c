/**
 * Every NBD device of a run in its result (`run` prints one row each, `--json` has them all):
 * its final state, why it failed, the servers it was configured with, and its client cache.
 */
import { cacheSummaryOf } from './cache-summary.ts';
import type { DeviceSummary } from './types.ts';
import type { World } from './world.ts';

export function deviceSummaries(w: World): DeviceSummary[] {
  return [...w.nbds].map(([name, n]) => {
    const d = n.device;
    const cache = cacheSummaryOf(d);
    // A server nothing dials at the end (given up, or refused) says so (nbd-server-info has the why).
    const servers = d.opts.config.servers.map((s) => {
      const st = d.conns.servers.find((x) => x.cfg.name === s.name && !x.removed);
      const stopped = st ? d.conns.stopped(st) : null;
      const notes = [...(s.role === 'backup' ? ['backup'] : []), ...(stopped ? [stopped] : [])];
      return notes.length > 0 ? `${s.name} (${notes.join(', ')})` : s.name;
    });
    return {
      name, state: d.state, servers,
      ...(d.state === 'failed' && d.failureReason !== '' ? { reason: d.failureReason } : {}),
      ...(cache ? { cache } : {}),
    };
  });
}
