// fast-check fuzzing of server → client streams (random bytes and mutated valid replies), and of
// the other parsers: nothing throws, nothing hangs, every outcome is typed with the spec's verdict.
// 11,000+ cases in all.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { concat, splitAt } from './helpers.ts';
import { run, scenario, type Outcome } from './streams.ts';

const KNOWN_ERRORS = new Set([0, 1, 5, 12, 22, 28, 75, 95, 108]);

/** The typed-outcome contract of TransmissionSession for any input. */
function checkOutcome(o: Outcome): void {
  if (o.error) {
    expect(o.error).toBeInstanceOf(P.ProtocolError);
    expect(o.error.verdict).toBe('hard-disconnect');
    expect(o.state).toBe('dead');
  } else {
    expect(['open', 'draining', 'disconnected']).toContain(o.state);
  }
  for (const c of o.completed) {
    expect(KNOWN_ERRORS.has(c.error)).toBe(true);
    if (c.protocolError) {
      expect(c.protocolError.verdict).toBe('fail-request');
      expect(c.error).not.toBe(0);
    }
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 24 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat(64) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(b: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = b.slice();
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'flip') { if (out.length) out[at] = m.value; }
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'insert') out = concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else out = concat([out.subarray(0, at + m.len), out.subarray(at, at + m.len), out.subarray(at + m.len)]);
  }
  return out;
}

describe('fuzzing the transmission reply stream', () => {
  test('random bytes (4,000 cases)', () => {
    fc.assert(fc.property(fc.integer({ min: 1 }), fc.boolean(), fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 8 }),
      (seed, structured, bytes, cuts) => {
        const o = run(scenario(seed, structured), splitAt(bytes, cuts));
        checkOutcome(o);
        if (bytes.length >= 4 && o.error === null) {
          // Survivors must start with a reply magic.
          const magic = Buffer.from(bytes).readUInt32BE(0);
          expect([P.NBD_SIMPLE_REPLY_MAGIC, P.NBD_STRUCTURED_REPLY_MAGIC]).toContain(magic);
        }
      }), { numRuns: 4000 });
  });

  test('mutated valid replies (4,000 cases)', () => {
    fc.assert(fc.property(fc.integer({ min: 1 }), fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(3000), { maxLength: 8 }),
      (seed, structured, ms, cuts) => {
        const s = scenario(seed, structured);
        const bytes = mutate(s.stream, ms);
        checkOutcome(run(s, splitAt(bytes, cuts)));
      }), { numRuns: 4000 });
  });

  test('a truncated valid stream is never an error: the session waits for more', () => {
    fc.assert(fc.property(fc.integer({ min: 1 }), fc.boolean(), fc.nat(), (seed, structured, at) => {
      const s = scenario(seed, structured);
      const o = run(s, [s.stream.subarray(0, at % (s.stream.length + 1))]);
      expect(o.error).toBeNull();
      expect(o.state).toBe('open');
    }), { numRuns: 500 });
  });

  test('chunk type replaced: unknown error type fails one request, other unknown types disconnect (1,000 cases)', () => {
    fc.assert(fc.property(fc.integer({ min: 1 }), fc.integer({ min: 0, max: 0xffff }), (seed, type) => {
      const s = scenario(seed, true);
      // Rewrite the first chunk's type (bytes 6..7 of the first structured header) to `type`,
      // keeping its length so the stream stays framed.
      const b = s.stream.slice();
      fc.pre(Buffer.from(b).readUInt32BE(0) === P.NBD_STRUCTURED_REPLY_MAGIC);
      const orig = (b[6]! << 8) | b[7]!;
      b[6] = type >> 8;
      b[7] = type & 0xff;
      const o = run(s, [b]);
      checkOutcome(o);
      const known = [0, 1, 2, 5, 0x8001, 0x8002];
      const len = Buffer.from(b).readUInt32BE(16);
      if (type === orig) return;
      if ((type & 0x8000) !== 0 && !known.includes(type)) {
        // Error category: fail that request and carry on, unless its message cannot fit.
        const msgFits = len >= 6 && Buffer.from(b).readUInt16BE(24) <= len - 6;
        if (msgFits) {
          const victim = o.completed.find((c) => c.tag === Buffer.from(b).readUInt32BE(12));
          if (victim) expect(victim.error).not.toBe(0);
          if (o.error) expect(o.error.code).not.toBe('unknown-chunk-type');
        } else {
          expect(o.error?.verdict).toBe('hard-disconnect');
        }
      } else if (!known.includes(type)) {
        expect(o.error?.code).toBe('unknown-chunk-type');
      }
    }), { numRuns: 1000 });
  });
});

describe('fuzzing the other parsers', () => {
  test('handshake: random and mutated server bytes (1,000 cases)', () => {
    const valid = concat([
      P.encodeGreeting(3), P.encodeRepAck(8), P.encodeRepMetaContext(10, 1, 'base:allocation'), P.encodeRepAck(10),
      P.encodeRepInfoBlockSize(7, 512, 4096, 1 << 20), P.encodeRepInfoExport(7, 1n << 30n, 0x1ed), P.encodeRepAck(7),
    ]);
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => mutate(valid, ms))),
      fc.array(fc.nat(300), { maxLength: 6 }), fc.boolean(),
      (bytes, cuts, eof) => {
        const h = new P.NbdHandshake({}, { send: () => {} }).start();
        for (const p of splitAt(bytes, cuts)) h.feed(p);
        if (eof) h.eof();
        const st = h.status;
        expect(['negotiating', 'ready', 'closed', 'dead']).toContain(st);
        if (st === 'dead') {
          expect(h.failure?.kind).toBeTruthy();
          if (h.failure?.protocolError) expect(h.failure.protocolError.verdict).toBe('hard-disconnect');
        }
        if (st === 'ready') expect(h.result!.sizeBig).toBeGreaterThanOrEqual(0n);
        if (eof) expect(st).not.toBe('negotiating');
      }), { numRuns: 1000 });
  });

  test('request decoder: random client bytes in every phase (1,000 cases)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom<P.ClientPhase>('client-flags', 'options', 'transmission'), fc.array(fc.nat(300), { maxLength: 6 }),
      (bytes, phase, cuts) => {
        const d = new P.RequestDecoder({ maxOptionData: 4096, maxWritePayload: 1 << 16 });
        d.phase = phase;
        let guard = 0;
        for (const p of splitAt(bytes, cuts)) {
          d.feed(p);
          for (let ev = d.next(); ev !== P.REQUEST_EVENT.NEED_MORE && ev !== P.REQUEST_EVENT.ERROR; ev = d.next()) {
            expect(++guard).toBeLessThan(1000); // no hang
          }
        }
        if (d.protocolError) expect(d.protocolError.verdict).toBe('hard-disconnect');
      }), { numRuns: 1000 });
  });
});
