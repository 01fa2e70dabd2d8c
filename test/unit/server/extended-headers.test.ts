// NBD_OPT_EXTENDED_HEADERS (proto.md, EXTENDED_HEADERS): the server's bytes checked against the
// layouts written out by hand, and our client against our own `serve` with them on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { BridgeClient } from '../../../tools/bridge/client.ts';
import { startServe, type RunningServer } from '../../../tools/bridge/serve.ts';
import { hex } from '../protocol/helpers.ts';
import { Conn, Reader } from './harness.ts';

/** An extended reply header, field by field: magic 0x6e8a278c, flags, type, cookie, offset, length. */
function extReply(r: Reader) {
  const magic = r.u32();
  const flags = r.u16();
  const type = r.u16();
  const cookieHi = r.u32();
  const cookieLo = r.u32();
  const offset = r.u64();
  const length = r.u64();
  return { magic, flags, type, cookieHi, cookieLo, offset, length, data: new Reader(r.bytes(length)) };
}

function negotiated(): Conn {
  const c = new Conn({ exports: [{ name: 'd', store: new MemoryStore(1 << 20) }] }).handshakeStart();
  const ack = c.option(11).optReply();
  expect([ack.option, ack.type, ack.data.left]).toEqual([11, 1, 0]);
  c.go('d');
  return c;
}

describe('our server with extended headers', () => {
  it('a 32-byte WRITE with PAYLOAD_LEN, then a READ: extended replies echo the request offset', () => {
    const c = negotiated();
    // magic 21e41c71, flags PAYLOAD_LEN (0x20), WRITE (1), cookie 0:5, offset 0x2000, length 4 (64 bits), data.
    c.send(hex('21e41c71 0020 0001 00000000 00000005 0000000000002000 0000000000000004 deadbeef'));
    const w = extReply(new Reader(c.take()));
    expect(w).toMatchObject({ magic: 0x6e8a278c, flags: 1, type: 0, cookieLo: 5, offset: 0x2000, length: 0 });
    // READ (0), no flags, cookie 0:6, offset 0x2000, length 4.
    c.send(hex('21e41c71 0000 0000 00000000 00000006 0000000000002000 0000000000000004'));
    const r = extReply(new Reader(c.take()));
    // OFFSET_DATA (1), DONE: 8-byte data offset, then the 4 bytes.
    expect(r).toMatchObject({ magic: 0x6e8a278c, flags: 1, type: 1, cookieLo: 6, offset: 0x2000, length: 12 });
    expect(r.data.u64()).toBe(0x2000);
    expect([...r.data.bytes(4)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('a compact request after extended headers, or a WRITE without PAYLOAD_LEN, is a hard disconnect', () => {
    const a = negotiated();
    a.send(hex('25609513 0000 0000 00000000 00000001 0000000000000000 00000200'));
    expect(a.closed).toBe(true);
    const b = negotiated();
    b.send(hex('21e41c71 0000 0001 00000000 00000001 0000000000000000 0000000000000004 00000000'));
    expect(b.closed).toBe(true);
  });

  it('refused with ERR_UNSUP when configured off, as a server that predates it', () => {
    const c = new Conn({ exports: [{ name: 'd', store: new MemoryStore(4096) }], noExtendedHeaders: true }).handshakeStart();
    expect(c.option(11).optReply().type).toBe(0x80000001);
  });
});

describe('our client against our serve, extended headers on', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServe({ port: 0, exports: [{ name: 'x', size: 8 << 20 }] });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('negotiates them and runs write, read, flush, trim and BLOCK_STATUS_EXT', async () => {
    const c = await BridgeClient.connect({ host: '127.0.0.1', port: srv.port, exportName: 'x', extendedHeaders: true });
    try {
      expect([c.info!.extendedHeaders, c.info!.structuredReplies]).toEqual([true, true]);
      const data = new Uint8Array(128 * 1024).map((_, i) => (i * 7) & 0xff);
      await c.write(1 << 20, data);
      await c.flush();
      expect(Buffer.from(await c.read(1 << 20, data.length)).equals(Buffer.from(data))).toBe(true);
      // serve's memory store allocates 256 KiB pages: the write made [1 MiB, 1.25 MiB) data, the
      // rest of the 8 MiB export is a hole (hole+zero = 3); a trim of the whole page frees it.
      expect(await c.blockStatus(1 << 20, 7 << 20)).toEqual([{ length: 262144, flags: 0 }, { length: (7 << 20) - 262144, flags: 3 }]);
      await c.trim(1 << 20, 262144);
      expect(await c.blockStatus(1 << 20, 7 << 20)).toEqual([{ length: 7 << 20, flags: 3 }]);
    } finally {
      await c.close();
    }
  });
});

describe('our client against our serve, compression and checksums on', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServe({ port: 0, exports: [{ name: 'x', size: 8 << 20 }] });
  });
  afterAll(async () => {
    await srv.close();
  });

  it.each([[1, false], [2, false], [1, true]])('algorithm %i (extended headers %s): data round-trips; compressible data crosses as fewer bytes', async (alg, ext) => {
    const c = await BridgeClient.connect({
      host: '127.0.0.1', port: srv.port, exportName: 'x', extendedHeaders: ext, extensions: { compression: [alg], checksum: [1] },
    });
    try {
      expect([c.info!.compression, c.info!.checksum]).toEqual([alg, 1]);
      // 64 KiB of which 3/4 is zeros: compresses; then 64 KiB of xorshift bytes: does not.
      const half = new Uint8Array(65536);
      let x = 9;
      for (let i = 49152; i < half.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; half[i] = x & 0xff; }
      await c.write(0, half);
      expect(Buffer.from(await c.read(0, half.length)).equals(Buffer.from(half))).toBe(true);
      const n = c.frameCounters!;
      expect([n.txRawBytes, n.rxRawBytes]).toEqual([65536, 65536]);
      // 16 KiB of random data can only shrink to about 16 KiB: the frame is well under half the raw size.
      expect(n.txWireBytes).toBeLessThan(32768);
      expect(n.rxWireBytes).toBeLessThan(32768);
      const rnd = half.slice(49152);
      await c.write(1 << 20, rnd);
      expect(Buffer.from(await c.read(1 << 20, rnd.length)).equals(Buffer.from(rnd))).toBe(true);
      // Not compressible: each direction carries the 16 KiB raw plus one 16-byte frame header.
      expect(n.txWireBytes - n.rxWireBytes).toBe(0);
      expect([n.checksumFailures, n.checksumRetries]).toEqual([0, 0]);
    } finally {
      await c.close();
    }
  });
});
