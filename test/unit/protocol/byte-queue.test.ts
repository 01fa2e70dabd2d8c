// ByteQueue against a plain-array model: any pushes and reads give the model's bytes.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { ByteQueue } from '../../../drivers/nbd/protocol/byte-queue.ts';

type Op =
  | { op: 'push'; bytes: Uint8Array }
  | { op: 'peek'; at: number }
  | { op: 'skip'; n: number }
  | { op: 'take'; n: number }
  | { op: 'copy'; n: number }
  | { op: 'view'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 9 }).map((bytes) => ({ op: 'push' as const, bytes })) },
  fc.nat(40).map((at) => ({ op: 'peek' as const, at })),
  fc.nat(12).map((n) => ({ op: 'skip' as const, n })),
  fc.nat(12).map((n) => ({ op: 'take' as const, n })),
  fc.nat(12).map((n) => ({ op: 'copy' as const, n })),
  fc.nat(12).map((n) => ({ op: 'view' as const, n })),
);

test('ByteQueue matches a byte-array model (peeks u8/u16/u32/u64, skip, take, copyTo, view, drain)', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
    const q = new ByteQueue();
    let model: number[] = [];
    const be = (at: number, n: number) => model.slice(at, at + n).reduce((a, b) => a * 256 + b, 0);
    for (const o of ops) {
      if (o.op === 'push') {
        q.push(o.bytes);
        model.push(...o.bytes);
      } else if (o.op === 'peek') {
        if (o.at + 8 <= model.length) {
          expect(q.u8(o.at)).toBe(model[o.at]);
          expect(q.u16(o.at)).toBe(be(o.at, 2));
          expect(q.u32(o.at)).toBe(be(o.at, 4));
          expect(q.u64n(o.at)).toBe(BigInt(be(o.at, 4)) * 2n ** 32n + BigInt(be(o.at + 4, 4)));
        }
        const n = Math.min(o.at % 9, model.length);
        if (n > 0) {
          const v = q.peekView(n, new DataView(new ArrayBuffer(8)));
          expect(Array.from({ length: n }, (_, i) => v.getUint8(q.peekAt + i))).toEqual(model.slice(0, n));
        }
      } else {
        const n = Math.min(o.n, model.length);
        const want = model.slice(0, n);
        if (o.op === 'skip') q.skip(n);
        else if (o.op === 'take') expect([...q.take(n)]).toEqual(want);
        else if (o.op === 'copy') {
          const dst = new Uint8Array(n + 2);
          q.copyTo(dst, 1, n);
          expect([...dst.subarray(1, 1 + n)]).toEqual(want);
        } else {
          const v = q.view(n);
          expect([...v]).toEqual(model.slice(0, v.length));
          model = model.slice(v.length);
          expect(q.length).toBe(model.length);
          continue;
        }
        model = model.slice(n);
      }
      expect(q.length).toBe(model.length);
    }
    expect(q.drain().flatMap((c) => [...c])).toEqual(model);
    expect(q.length).toBe(0);
  }), { numRuns: 400 });
});

test('compaction keeps unread bytes when many chunks have been consumed', () => {
  const q = new ByteQueue();
  for (let i = 0; i < 200; i++) q.push(Uint8Array.of(i & 0xff));
  q.skip(150);
  expect(q.u8(0)).toBe(150);
  for (let i = 0; i < 10; i++) q.push(Uint8Array.of(7));
  expect(q.length).toBe(60);
  expect([...q.take(3)]).toEqual([150, 151, 152]);
});

test('peekView reads a header in place from a chunk deep in a shared buffer, and across chunks from scratch', () => {
  const ring = new Uint8Array(64);
  for (let i = 0; i < 64; i++) ring[i] = i;
  const q = new ByteQueue();
  q.push(ring.subarray(40, 50));
  q.skip(2);
  const scratch = new DataView(new ArrayBuffer(16));
  const v = q.peekView(8, scratch);
  expect(v.buffer).toBe(ring.buffer);
  expect(q.peekAt).toBe(42);
  expect(v.getUint32(q.peekAt)).toBe(0x2a2b2c2d);
  expect(q.peekView(4, scratch)).toBe(v); // one view per buffer
  q.push(ring.subarray(10, 20));
  const w = q.peekView(12, scratch); // 8 bytes of the first chunk, 4 of the second
  expect(w).toBe(scratch);
  expect(q.peekAt).toBe(0);
  expect([w.getUint32(0), w.getUint32(4), w.getUint32(8)]).toEqual([0x2a2b2c2d, 0x2e2f3031, 0x0a0b0c0d]);
});
