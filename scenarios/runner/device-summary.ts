/**
 * Every NBD device of a run in its result (`run` prints one row each, `--json` has them all):
 * its final state, why it failed, the servers it was configured with, and its client cache.
 */
import { cacheSummaryOf, type CacheSummary } from './cache-summary.ts';
import type { World } from './world.ts';

export interface DeviceSummary {
  /** nbd0, nbd1, … in the order of the scenario's devices. */
  readonly name: string;
  /** The driver statechart's state at the end (ready, degraded, failed, …). */
  readonly state: string;
  /** Why the device failed (absent unless it did). */
  readonly reason?: string;
  /** Its servers by name, with their role when it is not primary. */
  readonly servers: readonly string[];
  /** What its client cache did (absent: no cache). */
  readonly cache?: CacheSummary;
}

export function deviceSummaries(w: World): DeviceSummary[] {
  return [...w.nbds].map(([name, n]) => {
    const d = n.device;
    const cache = cacheSummaryOf(d);
    const servers = d.opts.config.servers.map((s) => (s.role === 'backup' ? `${s.name} (backup)` : s.name));
    return {
      name, state: d.state, servers,
      ...(d.state === 'failed' && d.failureReason !== '' ? { reason: d.failureReason } : {}),
      ...(cache ? { cache } : {}),
    };
  });
}
