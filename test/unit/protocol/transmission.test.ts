// TransmissionSession: flags and sizes obeyed, cookies, FLUSH ordering, structured reassembly,
// error chunks, ESHUTDOWN and DISC. Server bytes are written out by hand from proto.md layouts.
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { concat, hex, splitAt, toHex } from './helpers.ts';

const ALL_FLAGS = P.NBD_FLAG_HAS_FLAGS | P.NBD_FLAG_SEND_FLUSH | P.NBD_FLAG_SEND_FUA | P.NBD_FLAG_SEND_TRIM |
  P.NBD_FLAG_SEND_WRITE_ZEROES | P.NBD_FLAG_SEND_DF | P.NBD_FLAG_SEND_CACHE | P.NBD_FLAG_SEND_FAST_ZERO;

function exportWith(over: Partial<P.NegotiatedExport> = {}): P.NegotiatedExport {
  return {
    exportName: '', size: 1 << 20, sizeBig: 1n << 20n, transmissionFlags: ALL_FLAGS, minBlock: 512, prefBlock: 4096,
    maxPayload: 65536, blockSizeAdvertised: true, structuredReplies: true, metaContexts: { 'base:allocation': 9 },
    tls: false, viaExportName: false, description: '', extendedHeaders: false, compression: 0, checksum: 0, extensions: [], ...over,
  };
}

function session(x: P.NegotiatedExport = exportWith(), generation = 7) {
  const sent: string[] = [];
  const done: P.NbdRequest[] = [];
  const states: P.SessionState[] = [];
  const s = new P.TransmissionSession(x, {
    send: (b) => sent.push(toHex(b)),
    complete: (r) => done.push(r),
    stateChanged: (st) => states.push(st),
  }, { generation, maxInFlight: 8 });
  return { s, sent, done, states };
}

const cookie = (gen: number, tag: number) => `${gen.toString(16).padStart(8, '0')}${tag.toString(16).padStart(8, '0')}`;

describe('requests', () => {
  test('header bytes carry cookie = generation << 32 | tag', () => {
    const { s, sent } = session(exportWith(), 7);
    const r = P.newRequest(P.NBD_CMD_READ, 0x2000, 0x1000, new Uint8Array(0x1000), P.NBD_CMD_FLAG_DF);
    expect(s.submit(r)).toBeNull();
    expect(sent).toEqual([`2560951300040000${cookie(7, r.tag)}00000000000020000000` + '1000']);
    const w = P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512).fill(0x5a), P.NBD_CMD_FLAG_FUA);
    w.tag = 5;
    expect(s.submit(w)).toBeNull();
    expect(sent[1]).toBe(`2560951300010001${cookie(7, 5)}0000000000000000` + '00000200');
    expect(sent[2]).toBe('5a'.repeat(512));
  });

  test('a command or flag the server did not advertise is refused, never sent', () => {
    const cases: [Partial<P.NegotiatedExport>, P.NbdRequest, P.SubmitErrno][] = [
      [{ transmissionFlags: P.NBD_FLAG_HAS_FLAGS }, P.newRequest(P.NBD_CMD_FLUSH), 'EOPNOTSUPP'],
      [{ transmissionFlags: P.NBD_FLAG_HAS_FLAGS }, P.newRequest(P.NBD_CMD_TRIM, 0, 512), 'EOPNOTSUPP'],
      [{ transmissionFlags: P.NBD_FLAG_HAS_FLAGS }, P.newRequest(P.NBD_CMD_WRITE_ZEROES, 0, 512), 'EOPNOTSUPP'],
      [{ transmissionFlags: P.NBD_FLAG_HAS_FLAGS }, P.newRequest(P.NBD_CMD_CACHE, 0, 512), 'EOPNOTSUPP'],
      [{ transmissionFlags: P.NBD_FLAG_HAS_FLAGS }, P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512), P.NBD_CMD_FLAG_FUA), 'EOPNOTSUPP'],
      [{ transmissionFlags: ALL_FLAGS & ~P.NBD_FLAG_SEND_DF }, P.newRequest(P.NBD_CMD_READ, 0, 512, new Uint8Array(512), P.NBD_CMD_FLAG_DF), 'EOPNOTSUPP'],
      [{ structuredReplies: false }, P.newRequest(P.NBD_CMD_READ, 0, 512, new Uint8Array(512), P.NBD_CMD_FLAG_DF), 'EOPNOTSUPP'],
      [{ transmissionFlags: ALL_FLAGS & ~P.NBD_FLAG_SEND_FAST_ZERO }, P.newRequest(P.NBD_CMD_WRITE_ZEROES, 0, 512, null, P.NBD_CMD_FLAG_FAST_ZERO), 'EOPNOTSUPP'],
      [{ metaContexts: {} }, P.newRequest(P.NBD_CMD_BLOCK_STATUS, 0, 512), 'EOPNOTSUPP'],
      [{ transmissionFlags: ALL_FLAGS | P.NBD_FLAG_READ_ONLY }, P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512)), 'EPERM'],
      [{}, P.newRequest(P.NBD_CMD_READ, 100, 512, new Uint8Array(512)), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_READ, 0, 700, new Uint8Array(700)), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_READ, (1 << 20) - 512, 1024, new Uint8Array(1024)), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_READ, 0, 1 << 17, new Uint8Array(1 << 17)), 'EOVERFLOW'],
      [{}, P.newRequest(P.NBD_CMD_READ, 0, 512, new Uint8Array(512), P.NBD_CMD_FLAG_NO_HOLE), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512), P.NBD_CMD_FLAG_NO_HOLE), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_FLUSH, 0, 512), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_RESIZE, 0, 512), 'EINVAL'],
      [{}, P.newRequest(P.NBD_CMD_DISC), 'EINVAL'],
    ];
    for (const [over, req, errno] of cases) {
      const { s, sent } = session(exportWith(over));
      expect(s.submit(req)?.errno, JSON.stringify([over, req.type, req.flags])).toBe(errno);
      expect(sent).toEqual([]);
    }
    // Trim and write-zeroes may exceed the maximum payload (no payload travels).
    const { s } = session();
    expect(s.submit(P.newRequest(P.NBD_CMD_TRIM, 0, 1 << 19))).toBeNull();
  });

  test('tags run out ⇒ EAGAIN; a busy explicit tag ⇒ EAGAIN', () => {
    const { s } = session();
    for (let i = 0; i < 8; i++) expect(s.submit(P.newRequest(P.NBD_CMD_TRIM, 0, 512))).toBeNull();
    expect(s.submit(P.newRequest(P.NBD_CMD_TRIM, 0, 512))?.errno).toBe('EAGAIN');
    const t = session();
    const a = P.newRequest(P.NBD_CMD_TRIM, 0, 512);
    a.tag = 3;
    t.s.submit(a);
    const b = P.newRequest(P.NBD_CMD_TRIM, 0, 512);
    b.tag = 3;
    expect(t.s.submit(b)?.errno).toBe('EAGAIN');
  });
});

describe('replies', () => {
  test('a reply from an older generation is rejected (hard disconnect)', () => {
    const { s, done, states } = session(exportWith(), 7);
    const r = P.newRequest(P.NBD_CMD_TRIM, 0, 512);
    s.submit(r);
    const e = s.feed(hex(`67446698 00000000 ${cookie(6, r.tag)}`));
    expect([e?.code, e?.verdict]).toEqual(['stale-cookie', 'hard-disconnect']);
    expect(s.state).toBe('dead');
    expect(states).toEqual(['dead']);
    expect(done).toEqual([]);
    expect(s.abort()).toEqual([r]); // for requeue on the next connection
  });

  test('a reply for a tag not in flight is rejected', () => {
    const { s } = session();
    expect(s.feed(hex(`67446698 00000000 ${cookie(7, 3)}`))?.code).toBe('unknown-cookie');
  });

  test('simple replies: read data lands in the buffer; errors are reported', () => {
    const { s, done } = session(exportWith({ structuredReplies: false, metaContexts: {} }));
    const buf = new Uint8Array(1024);
    const r = P.newRequest(P.NBD_CMD_READ, 0, 1024, buf);
    const w = P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512));
    s.submit(r);
    s.submit(w);
    const data = new Uint8Array(1024).map((_, i) => i & 0xff);
    const stream = concat([hex(`67446698 00000005 ${cookie(7, w.tag)}`), hex(`67446698 00000000 ${cookie(7, r.tag)}`), data]);
    for (const part of splitAt(stream, [3, 17, 20, 40, 500])) expect(s.feed(part)).toBeNull();
    expect(done).toEqual([w, r]);
    expect(w.error).toBe(P.NBD_EIO);
    expect(r.error).toBe(0);
    expect(toHex(buf)).toBe(toHex(data));
  });

  test('a simple reply to a READ after structured replies were negotiated is a violation', () => {
    const { s } = session();
    const r = P.newRequest(P.NBD_CMD_READ, 0, 512, new Uint8Array(512));
    s.submit(r);
    expect(s.feed(hex(`67446698 00000005 ${cookie(7, r.tag)}`))?.code).toBe('simple-reply-to-structured-read');
  });

  test('structured read reassembly with holes, any split', () => {
    const c = cookie(7, 0);
    const stream = hex(
      `668e33ef 0000 0001 ${c} 00000208 0000000000001200 ${'11'.repeat(512)}` + // data [0x1200, 0x1400)
      `668e33ef 0000 0002 ${c} 0000000c 0000000000001000 00000200` + // hole [0x1000, 0x1200)
      `668e33ef 0001 0001 ${c} 00000208 0000000000001400 ${'22'.repeat(512)}`, // data [0x1400, 0x1600), DONE
    );
    for (const cuts of [[], [1, 2, 3], [20, 28, 29, 300, 560, 561], [551, 552, 583, 584]]) {
      const { s, done } = session();
      const buf = new Uint8Array(1536).fill(0xee);
      const r = P.newRequest(P.NBD_CMD_READ, 0x1000, 1536, buf);
      r.tag = 0;
      s.submit(r);
      for (const part of splitAt(stream, cuts)) expect(s.feed(part)).toBeNull();
      expect(done).toEqual([r]);
      expect(r.error).toBe(0);
      expect(toHex(buf)).toBe('00'.repeat(512) + '11'.repeat(512) + '22'.repeat(512));
    }
  });

  test('a structured read that ends short without an error fails with EIO', () => {
    const { s, done } = session();
    const r = P.newRequest(P.NBD_CMD_READ, 0, 1024, new Uint8Array(1024));
    r.tag = 1;
    s.submit(r);
    s.feed(hex(`668e33ef 0001 0002 ${cookie(7, 1)} 0000000c 0000000000000000 00000200`));
    expect(done).toEqual([r]);
    expect(r.error).toBe(P.NBD_EIO);
  });

  test('content chunks outside the request, overlapping, or fragmenting a DF read are violations', () => {
    const mk = (flags = 0) => {
      const t = session();
      const r = P.newRequest(P.NBD_CMD_READ, 0x1000, 1024, new Uint8Array(1024), flags);
      r.tag = 2;
      t.s.submit(r);
      return t.s;
    };
    const c = cookie(7, 2);
    expect(mk().feed(hex(`668e33ef 0001 0002 ${c} 0000000c 0000000000000e00 00000200`))?.code).toBe('out-of-bounds');
    expect(mk().feed(hex(`668e33ef 0000 0002 ${c} 0000000c 0000000000001000 00000400 668e33ef 0000 0002 ${c} 0000000c 0000000000001000 00000200`))?.code).toBe('bad-value');
    expect(mk(P.NBD_CMD_FLAG_DF).feed(hex(`668e33ef 0000 0002 ${c} 0000000c 0000000000001000 00000200 668e33ef 0001 0002 ${c} 0000000c 0000000000001200 00000200`))?.code).toBe('fragmented');
    const t = session();
    const w = P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512));
    t.s.submit(w);
    expect(t.s.feed(hex(`668e33ef 0001 0002 ${cookie(7, w.tag)} 0000000c 0000000000000000 00000200`))?.code).toBe('unexpected-chunk-type');
  });

  test('an error chunk fails just that request; an unknown error chunk too; the session continues', () => {
    const { s, done } = session();
    const a = P.newRequest(P.NBD_CMD_READ, 0, 512, new Uint8Array(512));
    const b = P.newRequest(P.NBD_CMD_READ, 512, 512, new Uint8Array(512));
    const c = P.newRequest(P.NBD_CMD_WRITE, 1024, 512, new Uint8Array(512));
    for (const r of [a, b, c]) expect(s.submit(r)).toBeNull();
    const stream = hex(
      `668e33ef 0001 8002 ${cookie(7, a.tag)} 00000010 00000005 0002 6f77 0000000000000100` + // ERROR_OFFSET in a
      `668e33ef 0001 8123 ${cookie(7, c.tag)} 00000006 0000001c 0000` + // unknown error type for c
      `668e33ef 0001 0001 ${cookie(7, b.tag)} 00000208 0000000000000200 ${'33'.repeat(512)}`,
    );
    expect(s.feed(stream)).toBeNull();
    expect(done).toEqual([a, c, b]);
    expect([a.error, a.message]).toEqual([P.NBD_EIO, 'ow']);
    expect([c.error, c.protocolError?.code, c.protocolError?.verdict]).toEqual([P.NBD_ENOSPC, 'unknown-error-chunk', 'fail-request']);
    expect(b.error).toBe(0);
    expect(s.state).toBe('open');
  });

  test('BLOCK_STATUS extents are delivered; an unnegotiated context id is a violation', () => {
    const { s, done } = session();
    const r = P.newRequest(P.NBD_CMD_BLOCK_STATUS, 0, 0x3000);
    r.extents = [];
    s.submit(r);
    s.feed(hex(`668e33ef 0001 0005 ${cookie(7, r.tag)} 00000014 00000009 00001000 00000000 00002000 00000003`));
    expect(done).toEqual([r]);
    expect(r.extents).toEqual([9, 0x1000, 0, 9, 0x2000, 3]);
    const t = session();
    const q = P.newRequest(P.NBD_CMD_BLOCK_STATUS, 0, 0x3000);
    t.s.submit(q);
    expect(t.s.feed(hex(`668e33ef 0001 0005 ${cookie(7, q.tag)} 0000000c 00000004 00001000 00000000`))?.code).toBe('bad-value');
  });
});

describe('ordering and shutdown', () => {
  test('a FLUSH goes out at once, writes in flight or not (ordering it after them is the driver\'s FlushBarrier)', () => {
    const { s, sent, done } = session();
    const w1 = P.newRequest(P.NBD_CMD_WRITE, 0, 512, new Uint8Array(512));
    const f = P.newRequest(P.NBD_CMD_FLUSH);
    for (const r of [w1, f]) expect(s.submit(r)).toBeNull();
    // Header of the FLUSH (type 3, no flags, offset 0, length 0) is the last thing sent.
    expect(sent[sent.length - 1]).toBe(`2560951300000003${cookie(7, f.tag)}000000000000000000000000`);
    s.feed(hex(`67446698 00000000 ${cookie(7, f.tag)}`));
    s.feed(hex(`67446698 00000000 ${cookie(7, w1.tag)}`));
    expect(done).toEqual([f, w1]);
  });

  test('NBD_ESHUTDOWN: refuse new requests, drain, then NBD_CMD_DISC', () => {
    const { s, sent, states } = session();
    const a = P.newRequest(P.NBD_CMD_TRIM, 0, 512);
    const b = P.newRequest(P.NBD_CMD_TRIM, 512, 512);
    s.submit(a);
    s.submit(b);
    s.feed(hex(`67446698 0000006c ${cookie(7, a.tag)}`));
    expect(a.error).toBe(P.NBD_ESHUTDOWN);
    expect(s.state).toBe('draining');
    expect(s.submit(P.newRequest(P.NBD_CMD_TRIM, 0, 512))?.errno).toBe('ESHUTDOWN');
    s.feed(hex(`67446698 00000000 ${cookie(7, b.tag)}`));
    expect(sent[sent.length - 1]!.slice(0, 16)).toBe('2560951300000002');
    expect(states).toEqual(['draining', 'disconnected']);
  });

  test('disconnect() with nothing in flight sends DISC at once', () => {
    const { s, sent } = session();
    s.disconnect();
    expect(sent).toEqual([`2560951300000002${cookie(7, 0xffffffff)}000000000000000000000000`]);
    expect(s.state).toBe('disconnected');
  });

  test('unexpected error values are treated as EINVAL', () => {
    const { s } = session();
    const a = P.newRequest(P.NBD_CMD_TRIM, 0, 512);
    s.submit(a);
    s.feed(hex(`67446698 00000063 ${cookie(7, a.tag)}`));
    expect(a.error).toBe(P.NBD_EINVAL);
  });
});

describe('overlapping structured READ chunks (a gap the byte count hides)', () => {
  // READ of 28 bytes at 0x1000: OFFSET_DATA [0x1000, +16) then OFFSET_DATA [0x1008, +12) with DONE.
  // The lengths add up to 28, but the chunks overlap in [0x1008, 0x1010) and [0x1014, 0x101c) was never sent.
  const c = cookie(7, 3);
  const stream = hex(
    `668e33ef 0000 0001 ${c} 00000018 0000000000001000 ${'11'.repeat(16)}` +
    `668e33ef 0001 0001 ${c} 00000014 0000000000001008 ${'22'.repeat(12)}`,
  );

  test('the 84-byte stream is a protocol error with a hard-disconnect verdict, not a read that succeeds', () => {
    expect(stream.length).toBe(84);
    const { s, done } = session(exportWith({ minBlock: 1, blockSizeAdvertised: false }));
    const r = P.newRequest(P.NBD_CMD_READ, 0x1000, 28, new Uint8Array(28).fill(0xee));
    r.tag = 3;
    expect(s.submit(r)).toBeNull();
    const err = s.feed(stream);
    expect([err?.code, err?.verdict, err?.where]).toEqual(['bad-value', 'hard-disconnect', 'chunk.offset']);
    expect(err?.message).toContain('4104+12 overlaps an earlier one');
    expect(done).toEqual([]);
    expect(s.state).toBe('dead');
  });

  test('chunks out of order that tile the request exactly are accepted', () => {
    const { s, done } = session(exportWith({ minBlock: 1, blockSizeAdvertised: false }));
    const r = P.newRequest(P.NBD_CMD_READ, 0x1000, 24, new Uint8Array(24));
    r.tag = 3;
    s.submit(r);
    expect(s.feed(hex(
      `668e33ef 0000 0001 ${c} 00000010 0000000000001010 ${'33'.repeat(8)}` +
      `668e33ef 0000 0002 ${c} 0000000c 0000000000001000 00000008` +
      `668e33ef 0001 0001 ${c} 00000010 0000000000001008 ${'44'.repeat(8)}`,
    ))).toBeNull();
    expect(done).toEqual([r]);
    expect([r.error, toHex(r.data!)]).toEqual([0, '00'.repeat(8) + '44'.repeat(8) + '33'.repeat(8)]);
  });
});
