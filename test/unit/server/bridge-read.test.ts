// Our client's fast read path on real loopback TCP against our serve: receive ring (wrapping
// several times), READ data read straight into request buffers, reused request records
// (readBench) — every byte checked against a position-dependent pattern written first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../../tools/bridge/client.ts';
import { readBench } from '../../../tools/bridge/read-bench.ts';
import { startServe, type RunningServer } from '../../../tools/bridge/serve.ts';

const SIZE = 12 << 20;
/** Byte at absolute offset p: changes with every bit of p below 2^24, so a misplaced byte shows. */
const byteAt = (p: number): number => (p ^ ((p >> 8) * 31) ^ ((p >> 16) * 101)) & 0xff;

function check(offset: number, data: Uint8Array): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== byteAt(offset + i)) throw new Error(`byte at ${offset + i} is ${data[i]}, want ${byteAt(offset + i)}`);
  }
}

describe('BridgeClient reads from our serve on loopback', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServe({ port: 0, exports: [{ name: 'p', size: SIZE }] });
    const c = await BridgeClient.connect({ host: '127.0.0.1', port: srv.port, exportName: 'p' });
    const chunk = new Uint8Array(1 << 20);
    for (let off = 0; off < SIZE; off += chunk.length) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = byteAt(off + i);
      await c.write(off, chunk);
    }
    await c.close();
  });
  afterAll(async () => {
    await srv.close();
  });

  const base = () => ({ host: '127.0.0.1', port: srv.port, exportName: 'p', bytes: SIZE, check });

  it('4 KiB structured reads through the ring only (it wraps three times), 32 in flight', async () => {
    const r = await readBench({ ...base(), connections: 1, inFlight: 32, requestSize: 4096 });
    expect(r.bytes).toBe(SIZE);
  });

  it('256 KiB reads placed straight into their buffers, 2 connections, 16 in flight', async () => {
    const r = await readBench({ ...base(), connections: 2, inFlight: 16, requestSize: 256 << 10 });
    expect(r.multiConn).toBe(true);
  });

  it('the same with simple replies (no structured replies negotiated)', async () => {
    await readBench({ ...base(), connections: 2, inFlight: 16, requestSize: 256 << 10, structuredReplies: false });
  });

  it('odd request sizes: 100 KiB + 3 bytes, so replies and ring reads never line up', async () => {
    await readBench({ ...base(), bytes: 4 << 20, connections: 1, inFlight: 8, requestSize: (100 << 10) + 3 });
  });
});
