import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecvBuffer } from '../../../kernel/net/tcp/recv-buffer.ts';
import { SendQueue, type SendChunk } from '../../../kernel/net/tcp/send-queue.ts';
import { TxInFlight } from '../../../kernel/net/tcp/tx-inflight.ts';
import { firstDiff, pattern } from './helpers/hosts.ts';

describe('RecvBuffer (reassembly ring)', () => {
  it('reassembles any arrival order of overlapping pieces into the original stream', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 100, max: 70_000 }),
        fc.nat(),
        (total, pieces, capacity, readEvery) => {
          const stream = pattern(total, total);
          const q = new RecvBuffer(capacity);
          const out = new Uint8Array(total);
          let got = 0;
          let step = 0;
          const feed = (off: number, len: number): void => {
            const end = Math.min(off + len, total);
            if (off >= end) return;
            q.store(stream.subarray(off, end), off);
            if (++step % ((readEvery % 5) + 1) === 0) got += q.read(out, got, 1 + (readEvery % 4000));
          };
          for (const [o, l] of pieces) feed(o % total, l);
          // Then everything in order, as retransmissions would, reading as we go.
          while (got < total) {
            feed(q.rcvNxt, Math.min(1460, total - q.rcvNxt));
            got += q.read(out, got, total);
          }
          expect(q.window).toBe(capacity);
          expect(firstDiff(out, stream)).toBe(-1);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('never accepts beyond the window and never moves rcvNxt past a gap', () => {
    const q = new RecvBuffer(1000);
    expect(q.store(new Uint8Array(600), 500)).toBe(0); // out of order: held, rcvNxt stays 0
    expect(q.rcvNxt).toBe(0);
    expect(q.store(new Uint8Array(500), 0)).toBe(1000); // fills the gap up to the window edge
    expect(q.window).toBe(0);
    expect(q.store(new Uint8Array(10), 1000)).toBe(0);
  });
});

describe('SendQueue (chunked send buffer)', () => {
  it('views return the appended bytes and acknowledged chunks are released', () => {
    const q = new SendQueue(4380, 20_000);
    const data = pattern(50_000, 3);
    expect(q.append(data, 0, 50_000)).toBe(20_000); // SO_SNDBUF caps what is accepted
    expect(q.free).toBe(0);
    const v = q.view(4380, q.contiguous(4380));
    expect(v.length).toBe(4380);
    expect(firstDiff(v, data.subarray(4380, 8760))).toBe(-1);
    q.release(9000);
    expect(q.free).toBe(9000);
    expect(q.append(data, 20_000, 30_000)).toBe(9000);
    expect(firstDiff(q.view(20_000, q.contiguous(20_000)), data.subarray(20_000, 20_000 + q.contiguous(20_000)))).toBe(-1);
  });

  it('reuses a chunk buffer only once it is acknowledged, done by the device and never resent', () => {
    const q = new SendQueue(1000, 10_000);
    q.pooling = true;
    const a = pattern(3000, 1);
    const b = pattern(1000, 2);
    expect(q.append(a, 0, 3000)).toBe(3000); // three chunks: [0,1000) [1000,2000) [2000,3000)
    expect(q.allocated).toBe(3);
    const v0 = q.view(0, 1000);
    const c0 = q.lastChunk!;
    c0.refs++; // a packet reading chunk 0 is still in the NIC (TxInFlight.push does this)
    const v1 = q.view(1000, 1000);
    q.markResent(1000); // chunk 1 went out twice: its first copy may still be on the wire
    q.release(3000); // all acknowledged: only chunk 2 is free to reuse
    q.append(b, 0, 1000);
    expect([q.allocated, q.reused]).toEqual([3, 1]);
    expect(firstDiff(v0, a.subarray(0, 1000))).toBe(-1);
    expect(firstDiff(v1, a.subarray(1000, 2000))).toBe(-1);
    q.unref(c0); // the device is done with it
    q.append(b, 0, 1000);
    expect([q.allocated, q.reused]).toEqual([3, 2]);
    q.append(b, 0, 1000); // chunk 1 never comes back
    expect([q.allocated, q.reused]).toEqual([4, 2]);
    expect(firstDiff(v1, a.subarray(1000, 2000))).toBe(-1);
  });

  it('any offset between acknowledged and end is found, in any order of lookups, releases and chunk sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 150 }),
        (ops) => {
          const stream = pattern(1_000_000, 7);
          const q = new SendQueue(1000, 40_000);
          let acked = 0;
          for (const [kind, n, where] of ops) {
            if (kind === 0) {
              if (n % 7 === 0) q.setChunkSize(500 + (n % 3) * 1000); // chunk size changes mid-stream
              q.append(stream, q.end, Math.min(n, stream.length - q.end));
            } else if (q.end > acked) {
              const off = acked + Math.floor(where * (q.end - acked - 1));
              if (kind === 1) {
                const len = Math.min(q.contiguous(off), n);
                expect(len).toBeGreaterThan(0);
                expect(firstDiff(q.view(off, len), stream.subarray(off, off + len))).toBe(-1);
              } else {
                acked = off;
                q.release(off);
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('without TX completions from the device nothing is reused', () => {
    const q = new SendQueue(1000, 10_000);
    const a = pattern(3000, 1);
    q.append(a, 0, 3000);
    const v = q.view(0, 1000);
    q.release(3000);
    q.append(a, 0, 3000);
    expect([q.allocated, q.reused]).toEqual([6, 0]);
    expect(firstDiff(v, a.subarray(0, 1000))).toBe(-1);
  });
});

describe('TxInFlight (chunks of the packets in the device)', () => {
  const chunk = (start: number): SendChunk => {
    const buf = new Uint8Array(8);
    return { buf, ab: buf.buffer, start, end: start + buf.length, refs: 0, resent: false, acked: false, recycled: false };
  };

  it('a completion releases the oldest packet, a drop the one just pushed, across ring growth', () => {
    const t = new TxInFlight();
    const cs = Array.from({ length: 40 }, (_, i) => chunk(i));
    for (const c of cs.slice(0, 5)) t.push(c);
    expect(t.done(false)).toBe(cs[0]); // completions come in order
    expect(t.done(false)).toBe(cs[1]);
    for (const c of cs.slice(5)) t.push(c); // wraps and grows past 16
    expect(t.done(true)).toBe(cs[39]); // dropped on the way down: the newest
    const order: SendChunk[] = [];
    for (let c = t.done(false); c !== null; c = t.done(false)) order.push(c);
    expect(order).toEqual(cs.slice(2, 39));
    expect(cs.map((c) => c.refs)).toEqual(cs.map(() => 1)); // push counts a reference; done leaves it to unref
    expect(t.length).toBe(0);
  });
});
