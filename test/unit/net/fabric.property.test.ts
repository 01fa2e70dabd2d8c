import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMachine } from '../../../scenarios/machine/index.ts';
import { Sink, firstDiff, pattern, writeAll } from './helpers/hosts.ts';

/**
 * The same exactness property as over the test pipe, now through the real NICs (TSO chunks,
 * rx rings, coalesced IRQs, NAPI), links that split impaired chunks per frame, and the switch.
 */
describe('TCP over the real fabric under impairments (property)', () => {
  it('delivers exactly the bytes sent, both ways', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 1_000_000 }),
          loss: fc.double({ min: 0, max: 0.05, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.05, noNaN: true }),
          reorder: fc.double({ min: 0, max: 0.1, noNaN: true }),
          corrupt: fc.double({ min: 0, max: 0.05, noNaN: true }),
          up: fc.integer({ min: 1, max: 150_000 }),
          down: fc.integer({ min: 0, max: 50_000 }),
        }),
        (c) => {
          const link = { rateBps: 10e9, propagationNs: 10_000, impairments: { loss: c.loss, duplicate: c.duplicate, reorder: c.reorder, reorderDelayNs: 30_000, corrupt: c.corrupt } };
          const m = buildMachine({
            hosts: [
              { name: 'client', role: 'client', ip: '10.0.0.1', link, tcp: { minRtoNs: 2_000_000 } },
              { name: 'srv', role: 'server', ip: '10.0.0.2', link, tcp: { minRtoNs: 2_000_000 } },
            ],
          }, { seed: c.seed, trace: false });
          const up = pattern(c.up, c.seed);
          const down = pattern(c.down, c.seed + 1);
          const atServer = new Sink();
          const atClient = new Sink();
          const errors: string[] = [];
          m.host('srv').net.listen(80).onAccept = (s) => {
            s.onData = atServer.take;
            s.onError = (e) => errors.push(e.code);
            s.onEnd = () => writeAll(s, down, () => s.close());
          };
          const cl = m.client!.net.tcpSocket();
          cl.onData = atClient.take;
          cl.onError = (e) => errors.push(e.code);
          cl.onEnd = () => cl.close();
          cl.connect(m.host('srv').ip, 80);
          writeAll(cl, up, () => cl.shutdown());
          m.engine.run(3_000_000);
          expect(errors).toEqual([]);
          expect(firstDiff(atServer.data(), up)).toBe(-1);
          expect(firstDiff(atClient.data(), down)).toBe(-1);
        },
      ),
      { numRuns: 40, seed: 31337 },
    );
  });
});
