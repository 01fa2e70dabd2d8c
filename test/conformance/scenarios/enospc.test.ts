// A full disk surfaces as ENOSPC: the server answers NBD_ENOSPC, the driver completes with ENOSPC
// (28), the job counts the errors, and the error-kinds check passes; with the driver mapping
// every server error to EIO (the injected server-error-as-eio) the check fails.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const file = join(import.meta.dirname, '../../../scenarios/fault-enospc.toml');

describe('fault-enospc', () => {
  it('writes in the full range fail with ENOSPC at the driver and the block layer, never EIO', () => {
    const recs: TraceRecord[] = [];
    const r = runScenario(loadScenario(file), 1, { onTrace: (x) => recs.push(x) });
    expect(r.passed).toBe(true);
    const failed = recs.filter((x) => x.kind === 'rq.complete' && (x.data as Record<string, number>)['err'] !== 0);
    expect(failed.length).toBeGreaterThan(10);
    for (const f of failed) expect((f.data as Record<string, unknown>)['err']).toBe(28);
    // Each failed in the 1 MiB range of the fault, between 5 and 45 ms (sectors 0..2047).
    const queued = new Map(recs.filter((x) => x.kind === 'rq.queue').map((x) => [(x.data as Record<string, number>)['rq'], x.data as Record<string, number>]));
    for (const f of failed) {
      const q = queued.get((f.data as Record<string, number>)['rq'])!;
      expect(q['sector']! + q['sectors']!).toBeLessThanOrEqual(2048);
      expect(f.t).toBeGreaterThan(5_000_000);
    }
    expect(r.expectations.find((e) => e.name === 'error-kinds')).toMatchObject({ ok: true });
  });

  it.each(['server-error-as-eio', 'server-enospc-as-eio'] as const)('the injected %s (driver, server) is caught by error-kinds', (bug) => {
    const r = runScenario(loadScenario(file), 1, { faultInjection: bug });
    expect(r.passed).toBe(false);
    expect(r.expectations.find((e) => e.name === 'error-kinds')).toMatchObject({ ok: false });
  });

  it('--swarm draws full-disk ranges within [swarm] and error-kinds checks them', () => {
    const recs: TraceRecord[] = [];
    const r = runScenario(loadScenario(file), 1, { swarm: true, onTrace: (x) => recs.push(x) });
    expect(r.passed).toBe(true);
    const drawn = (recs.find((x) => x.kind === 'swarm.draw')!.data as { added: Record<string, unknown>[] }).added;
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    for (const a of drawn) expect(['disk-eio', 'partition', 'slow']).toContain(a['action']);
    expect(r.expectations.find((e) => e.name === 'error-kinds')).toMatchObject({ ok: true });
  });
});
