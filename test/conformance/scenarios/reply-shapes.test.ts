// fault-reply-shapes: the server sends READ data as two chunks, second half first (legal), and
// late READ replies carrying the previous connection's generation (the client must refuse them).
// Clean, the run passes with both shapes really sent; the client refuses each stale reply with a
// stale-cookie protocol error and resends what was in flight.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { loadScenario } from '../../../scenarios/schema/index.ts';

const shapes = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-reply-shapes.toml'));

describe('fault-reply-shapes', () => {
  it('reversed chunks are placed by offset and stale replies refused: the run passes, both shapes were sent', () => {
    const sent = { reversed: 0, stale: 0 };
    let refused = 0;
    const r = runScenario(shapes, 1, {
      onTrace: (x) => {
        const d = (x.data ?? {}) as { kind?: string; class?: string; action?: string; reason?: string };
        if (x.kind === 'nbd.misbehave' && d.kind === 'reversed-chunks') sent.reversed++;
        if (x.kind === 'nbd.misbehave' && d.kind === 'stale-reply') sent.stale++;
        if (x.kind === 'error' && d.class === 'protocol' && d.action === 'disconnect' && /reply\.cookie: generation \d+ is not this connection's/.test(d.reason ?? '')) refused++;
      },
    });
    expect(r.passed).toBe(true);
    // Three rounds of one stale reply then 60 reversed replies; the last round falls after the jobs.
    expect(sent.stale).toBeGreaterThanOrEqual(2);
    expect(sent.reversed).toBeGreaterThan(60);
    expect(refused).toBe(sent.stale);
  });
});
