// The bench's NBD stack is the runner's world (buildWorld, trace off): it connects the pool it
// asks for and serves a randread job with data, not holes.
import { describe, expect, it } from 'vitest';
import { buildNbdStack, EXPORT_BYTES, runRandread } from '../../../tools/bench/nbd-stack.ts';

describe('bench NBD stack on buildWorld', () => {
  it('connects N connections, trace off, and completes every read', () => {
    const s = buildNbdStack({ trace: false, connections: 2 });
    expect(s.engine.trace.count).toBe(0);
    expect(s.nbd.device.state).toBe('ready');
    expect(s.nbd.device.conns.live).toBe(2);
    expect(s.nbd.disk.capacityBytes).toBe(EXPORT_BYTES);
    const r = runRandread(s, 500, 8);
    expect(r.jobs[0]!.read.ios).toBe(500);
    expect(r.jobs[0]!.read.errors).toBe(0);
    expect(r.jobs[0]!.read.bytes).toBe(500 * 4096);
  });
});
