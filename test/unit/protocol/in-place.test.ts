// Read data placed by the transport straight into the request's buffer (dataTarget/feedInPlace),
// and fed buffers reused after detachInput (a receive ring). Server bytes written by hand from
// proto.md: simple reply = magic 67446698, error, cookie; structured chunk = magic 668e33ef,
// flags, type, cookie, length, then OFFSET_DATA's offset (u64) and data.
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { concat, hex } from './helpers.ts';

function exportWith(structuredReplies: boolean): P.NegotiatedExport {
  return {
    exportName: '', size: 1 << 20, sizeBig: 1n << 20n, transmissionFlags: P.NBD_FLAG_HAS_FLAGS, minBlock: 1, prefBlock: 4096,
    maxPayload: 65536, blockSizeAdvertised: false, structuredReplies, metaContexts: {}, tls: false, viaExportName: false, description: '', extendedHeaders: false, compression: 0, checksum: 0, extensions: [],
  };
}

function session(structured: boolean) {
  const done: P.NbdRequest[] = [];
  const s = new P.TransmissionSession(exportWith(structured), { send: () => {}, complete: (r) => done.push(r) }, { generation: 1, maxInFlight: 4 });
  return { s, done };
}

const cookie = (tag: number) => `00000001${tag.toString(16).padStart(8, '0')}`;
const seq = (n: number, from: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('read data placed in place', () => {
  test('simple reply: header through feed, then the payload in two in-place pieces', () => {
    const { s, done } = session(false);
    const r = P.newRequest(P.NBD_CMD_READ, 0, 8, new Uint8Array(8));
    s.submit(r);
    expect(s.dataTarget()).toBeNull();
    // Header plus the first 3 data bytes arrive buffered.
    s.feed(concat([hex(`6744669800000000${cookie(r.tag)}`), seq(3, 1)]));
    const t1 = s.dataTarget()!;
    expect(t1.length).toBe(5);
    t1.set(seq(2, 4));
    expect(s.feedInPlace(2)).toBeNull();
    expect(done).toEqual([]);
    const t2 = s.dataTarget()!;
    expect(t2.length).toBe(3);
    t2.set(seq(3, 6));
    s.feedInPlace(3);
    expect(done).toEqual([r]);
    expect([...r.data!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.dataTarget()).toBeNull();
  });

  test('structured OFFSET_DATA lands at its offset within the request', () => {
    const { s, done } = session(true);
    const r = P.newRequest(P.NBD_CMD_READ, 0x1000, 16, new Uint8Array(16));
    s.submit(r);
    // A chunk covering bytes 8..15 of the request first (offset 0x1008), not DONE.
    s.feed(hex(`668e33ef00000001${cookie(r.tag)}00000010` + '0000000000001008'));
    const t = s.dataTarget()!;
    expect(t.length).toBe(8);
    expect(t.byteOffset).toBe(8);
    t.set(seq(8, 9));
    s.feedInPlace(8);
    expect(s.dataTarget()).toBeNull();
    // Then bytes 0..7 inline, DONE.
    s.feed(concat([hex(`668e33ef00010001${cookie(r.tag)}00000010` + '0000000000001000'), seq(8, 1)]));
    expect(done).toEqual([r]);
    expect(r.error).toBe(0);
    expect([...r.data!]).toEqual([...seq(16, 1)]);
  });

  test('no target while a header is incomplete or after a protocol error', () => {
    const { s } = session(false);
    const r = P.newRequest(P.NBD_CMD_READ, 0, 8, new Uint8Array(8));
    s.submit(r);
    s.feed(hex('67446698'));
    expect(s.dataTarget()).toBeNull();
    s.feed(hex('00000000ffffffff00000000'));
    expect(s.state).toBe('dead');
    expect(s.dataTarget()).toBeNull();
  });
});

describe('detachInput', () => {
  test('an unfinished reply held by reference survives its buffer being overwritten', () => {
    const { s, done } = session(false);
    const r = P.newRequest(P.NBD_CMD_READ, 0, 4, new Uint8Array(4));
    s.submit(r);
    const ring = hex(`6744669800000000${cookie(r.tag)}`);
    s.feed(ring.subarray(0, 10));
    s.detachInput();
    ring.fill(0xee, 0, 10);
    s.feed(concat([ring.subarray(10), seq(4, 7)]));
    expect(done).toEqual([r]);
    expect([...r.data!]).toEqual([7, 8, 9, 10]);
  });

  test('ByteQueue.detach keeps every unread byte, in order, in one owned chunk', () => {
    const q = new P.ByteQueue();
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5);
    q.push(a);
    q.push(b);
    q.skip(2);
    q.detach();
    a.fill(0);
    b.fill(0);
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([3, 4, 5]);
    q.detach();
    expect(q.length).toBe(0);
  });
});
