import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/index.ts';
import { encodeClientFlags, encodeInfoOption, encodeMetaContextOption, encodeOption } from '../../../drivers/nbd/protocol/encode-handshake.ts';
import { encodeRequest } from '../../../drivers/nbd/protocol/encode-transmission.ts';
import { Conn } from './harness.ts';

const cfg = () => ({ exports: [{ name: 'd', store: new MemoryStore(1 << 20, 4096), blockSize: { min: 512, pref: 4096, max: 65536 } }] });

/** A valid client stream: flags, structured replies, meta context, GO, then a few requests. */
function validStream(reqs: { type: number; flags: number; off: number; len: number }[]): Uint8Array {
  const parts: Uint8Array[] = [
    encodeClientFlags(3), encodeOption(8), encodeMetaContextOption(10, 'd', ['base:allocation']), encodeInfoOption(7, 'd', [3]),
  ];
  for (const [i, r] of reqs.entries()) {
    const h = new Uint8Array(28);
    encodeRequest(h, 0, r.flags, r.type, 1, i, r.off, r.len);
    parts.push(h);
    if (r.type === 1) parts.push(new Uint8Array(r.len).fill(i));
  }
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
}

const request = fc.record({
  type: fc.integer({ min: 0, max: 9 }),
  flags: fc.integer({ min: 0, max: 63 }),
  off: fc.integer({ min: 0, max: (1 << 20) + 4096 }),
  len: fc.integer({ min: 0, max: 70000 }),
});

/** Feeds `bytes` split at `cuts`; the session must neither throw nor keep going after closing. */
function feed(bytes: Uint8Array, cuts: number[]): Conn {
  const c = new Conn(cfg());
  const points = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    c.send(bytes.subarray(prev, p));
    prev = p;
  }
  c.engine.run();
  return c;
}

describe('server session fuzzing', () => {
  it('random bytes never throw; the session either waits for more or closes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (b, cuts) => {
      const c = feed(b, cuts);
      expect(['handshake', 'transmission', 'closed', 'tls-wait']).toContain(c.session.phase);
    }), { numRuns: 1500 });
  });

  it('mutated valid streams never throw and never leave a negative in-flight count', () => {
    fc.assert(fc.property(
      fc.array(request, { maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (reqs, flips, cuts) => {
        const b = validStream(reqs);
        for (const [at, v] of flips) b[at % b.length] = v;
        const c = feed(b, cuts);
        expect(c.session.inFlight).toBeGreaterThanOrEqual(0);
      },
    ), { numRuns: 1500 });
  });

  it('unmutated valid streams: every request but DISC is answered and the session stays sane', () => {
    fc.assert(fc.property(fc.array(request, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (reqs, cuts) => {
      const c = feed(validStream(reqs), cuts);
      if (!reqs.some((r) => r.type === 2)) expect(c.session.phase).toBe('transmission');
      expect(c.session.inFlight).toBe(0);
    }), { numRuns: 500 });
  });
});
