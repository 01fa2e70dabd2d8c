// The receive path does work linear in the bytes received: a reply the decoder must hold whole
// (an 8 MiB BLOCK_STATUS chunk) fed in 1448-byte segments, each followed by detachInput as the
// driver does (the socket reuses its buffer), copies each byte at most once.
import { describe, expect, it } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';

const x: P.NegotiatedExport = {
  exportName: '', size: 1 << 30, sizeBig: 1n << 30n, transmissionFlags: P.NBD_FLAG_HAS_FLAGS, minBlock: 1, prefBlock: 4096,
  maxPayload: 1 << 25, blockSizeAdvertised: false, structuredReplies: true, metaContexts: { 'base:allocation': 1 }, tls: false,
  viaExportName: false, description: '', extendedHeaders: false, compression: 0, checksum: 0, extensions: [],
};

describe('receive path', () => {
  it('an 8 MiB reply in 1448-byte segments: bytes copied ≤ 2 × bytes received', () => {
    const done: P.NbdRequest[] = [];
    const s = new P.TransmissionSession(x, { send: () => {}, complete: (r) => done.push(r) }, { generation: 1, maxInFlight: 4 });
    const extents = 1 << 20; // 8-byte extent descriptors: 8 MiB of them
    const r = P.newRequest(P.NBD_CMD_BLOCK_STATUS, 0, 1 << 20);
    r.extents = [];
    expect(s.submit(r)).toBeNull();
    // Structured chunk (proto.md): magic 668e33ef, flags DONE, type BLOCK_STATUS (5), cookie
    // (generation 1, tag), length = 4 (context id) + 8 per extent; each extent: length 1, flags 0.
    const len = 4 + 8 * extents;
    const stream = new Uint8Array(20 + len);
    const dv = new DataView(stream.buffer);
    dv.setUint32(0, 0x668e33ef);
    dv.setUint16(4, 1);
    dv.setUint16(6, 5);
    dv.setUint32(8, 1);
    dv.setUint32(12, r.tag);
    dv.setUint32(16, len);
    dv.setUint32(20, 1);
    for (let i = 0; i < extents; i++) dv.setUint32(24 + 8 * i, 1);
    // One reused receive buffer, as a socket's: what the session keeps it must copy.
    const ring = new Uint8Array(1448);
    for (let at = 0; at < stream.length; at += 1448) {
      const n = Math.min(1448, stream.length - at);
      ring.set(stream.subarray(at, at + n));
      expect(s.feed(ring.subarray(0, n))).toBeNull();
      s.detachInput();
      ring.fill(0xee); // the socket reuses its buffer
    }
    expect(done).toEqual([r]);
    expect(r.extents!.length).toBe(3 * extents);
    expect(r.extents![3 * extents - 2]).toBe(1);
    expect(s.inputCopied).toBeLessThanOrEqual(2 * stream.length);
  });
});
