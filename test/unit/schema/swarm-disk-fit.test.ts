// The swarm draws no disk whose slowest reply outlasts dead_conn_timeout: the silence watchdog
// would take the busy disk for a dead connection (cache-wb-link-flap --swarm seed 1 drew an HDD
// under a 20 ms timeout: 768 errors). Expected figures are worked by hand from the presets.
import { describe, expect, it } from 'vitest';
import { DISK_PRESETS } from '../../../hw-sim/disk/presets.ts';
import { worstReplyNs } from '../../../scenarios/runner/swarm-shape.ts';

const MS = 1_000_000;

describe('worstReplyNs', () => {
  it('an HDD (one head): each of 4 requests waits a seek and a flush in turn, plus 4 × 128 KiB at 180 MB/s', () => {
    // 4 × (8.5 + 15) ms = 94 ms; 524288 B / 180e6 B/s = 2.9127 ms (rounded up to the ns).
    expect(worstReplyNs(DISK_PRESETS.hdd, 4)).toBe(94 * MS + 2_912_712);
    // One FUA write alone (23.5 ms) already outlasts a 20 ms dead_conn_timeout.
    expect(worstReplyNs(DISK_PRESETS.hdd, 1)).toBeGreaterThan(20 * MS);
  });

  it('an SSD (32 slots): 30 requests fit in one round of slots; the channel moves 30 × 128 KiB', () => {
    // (0.1 + 2) ms + 3932160 B / 550e6 B/s = 2.1 ms + 7.1494 ms.
    expect(worstReplyNs(DISK_PRESETS.ssd, 30)).toBe(2_100_000 + 7_149_382);
    expect(worstReplyNs(DISK_PRESETS.ssd, 30)).toBeLessThan(20 * MS);
  });
});
