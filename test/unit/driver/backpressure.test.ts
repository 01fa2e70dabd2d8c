import { describe, expect, it } from 'vitest';
import { config, rig } from './harness.ts';
import { VerifyWorkload } from './workload.ts';

const MS = 1_000_000;

describe('back-pressure when the socket buffer is full', () => {
  it('holds the rest of a batch, answers BUSY while every connection is backed up, kicks the block layer when it drains; no data lost', () => {
    const cfg = config({
      connectionPoolSize: 2, connectionMaxCount: 2, connectionTimeoutNs: 50 * MS,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    });
    // 16 KiB in flight per socket: a connection whose socket is full takes nothing new.
    const r = rig(81, cfg, (n) => n.addServer('srv', { size: 1 << 22 }), { sndbuf: 16 * 1024 });
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 256, 32, 1500, 20);
    w.start();
    r.engine.runUntil(r.engine.now + 1000 * MS);
    expect(w.res).toMatchObject({ submitted: 1500, completed: 1500, errors: 0, mismatches: 0 });
    expect(r.dev.network.shortSends).toBeGreaterThan(0);
    expect(r.blk.busyAnswers).toBeGreaterThan(0);
    expect(r.dev.io.kicks).toBeGreaterThan(0);
    expect(r.blk.doubles).toBe(0);
  });
});
