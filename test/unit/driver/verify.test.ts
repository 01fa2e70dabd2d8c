import { describe, expect, it } from 'vitest';
import { config, rig } from './harness.ts';
import { VerifyWorkload } from './workload.ts';

const MiB = 1 << 20;
const cfg = config({
  connectionPoolSize: 4, connectionMaxCount: 8, connectionTimeoutNs: 50_000_000,
  servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' }],
});

function run(seed: number) {
  const r = rig(seed, cfg, (n) => n.addServer('srv', { size: 4 * MiB }));
  r.engine.runUntil(10_000_000);
  const w = new VerifyWorkload(r, 512, 32, 4000);
  w.start();
  const firstBatches = r.dev.network.batches;
  r.engine.runUntil(2_000_000_000);
  return { r, w, firstBatches };
}

describe('verify-mode randrw, iodepth 32, 4 connections', () => {
  it('returns exactly what was written, spread over every connection', () => {
    const { r, w, firstBatches } = run(11);
    expect(r.dev.conns.live).toBe(4);
    expect(w.res).toMatchObject({ submitted: 4000, completed: 4000, errors: 0, mismatches: 0, doubleCompletions: 0 });
    for (const c of r.dev.conns.slots) expect(c.repliesReceived).toBeGreaterThan(500);
    // The first 32 requests come from blk-mq as one batch (a plug): each of the 4 sockets is
    // corked once for it and released once, not once per request.
    expect(firstBatches).toBe(4);
  });

  it('same seed ⇒ same digest; another seed ⇒ another digest', () => {
    const a = run(21).r.engine.trace.digest();
    const b = run(21).r.engine.trace.digest();
    const c = run(22).r.engine.trace.digest();
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
