import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { config, rig } from './harness.ts';
import { VerifyWorkload } from './workload.ts';

const MS = 1_000_000;
const cfg = config({
  connectionPoolSize: 3, connectionMaxCount: 3, connectionTimeoutNs: 50 * MS, requestTimeoutNs: 20 * MS,
  deadConnTimeoutNs: 2000 * MS, connectionRetryCount: 50,
  reconnect: { baseNs: 1 * MS, capNs: 8 * MS, jitter: 0.5 },
  servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' }],
});

type Fault = { atUs: number; kind: 'rst' | 'partition' | 'bad-magic' | 'wrong-cookie'; conn: number };

describe('chaos: random connection faults during a verify workload', () => {
  it('every request completes once, with the data last written, whatever the fault schedule', () => {
    const fault = fc.record({
      atUs: fc.integer({ min: 0, max: 3000 }),
      kind: fc.constantFrom<Fault['kind']>('rst', 'partition', 'bad-magic', 'wrong-cookie'),
      conn: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fault, { maxLength: 6 }), (seed, faults) => {
      const r = rig(seed, cfg, (n) => n.addServer('srv', { size: 1 << 21 }), { trace: false });
      r.engine.runUntil(10 * MS);
      const w = new VerifyWorkload(r, 128, 16, 600);
      const t0 = r.engine.now;
      for (const f of faults) {
        r.engine.scheduleAt(t0 + f.atUs * 1000, () => {
          if (f.kind === 'rst') r.net.rst('srv', f.conn);
          else if (f.kind === 'partition') r.net.partitionConn('srv', f.conn, true);
          else r.net.servers.get('srv')!.server.faults.misbehave(f.kind);
        }, 'test.fault');
      }
      w.start();
      r.engine.runUntil(t0 + 3000 * MS);
      expect(w.res).toMatchObject({ submitted: 600, completed: 600, errors: 0, mismatches: 0, doubleCompletions: 0 });
      expect(r.blk.doubles).toBe(0);
    }), { numRuns: 40, seed: 4242 });
  });
});
