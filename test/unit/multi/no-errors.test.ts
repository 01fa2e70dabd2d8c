// Outages shorter than dead_conn_timeout complete every request without error, so every shipped
// scenario whose faults are server crashes and hangs (no injected disk errors, malformed replies,
// corruption, client crash or volume power loss, which may fail requests by design) asserts it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const ERRORS_BY_DESIGN = new Set(['disk-eio', 'malformed', 'nic-dma-corrupt', 'dma-error', 'mem-bitflip', 'volume-power-loss']);

describe('crash and hang scenarios assert no_errors', () => {
  it('every one of them', () => {
    const checked: string[] = [];
    const missing: string[] = [];
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.toml')).sort()) {
      const s = loadScenario(join(DIR, f));
      const outage = s.timeline.some((e) => (e.action === 'crash' && e.server !== 'client') || e.action === 'hang');
      const byDesign = s.timeline.some((e) => ERRORS_BY_DESIGN.has(e.action) || (e.action === 'crash' && e.server === 'client'));
      if (!outage || byDesign) continue;
      checked.push(f);
      if (!s.expect.noErrors) missing.push(f);
    }
    expect(missing).toEqual([]);
    // The files this covers (a rename or a new fault kind shows here).
    expect(checked).toEqual([
      'cache-wb-server-crash.toml', 'fault-crash-flush.toml', 'fault-crash-fua.toml', 'fault-hang.toml', 'fault-timeout.toml',
      'multi-backup-failover.toml', 'multi-mirror-degraded.toml', 'multi-mirror.toml', 'multi-shared-volume.toml',
    ]);
  });
});
