import { describe, expect, it } from 'vitest';
import { perTest } from './fixture.ts';
import { BridgeClient, NbdClientError } from '../../../tools/bridge/client.ts';
import { readPskFile } from '../../../tools/bridge/psk.ts';
import { equalBytes, exerciseAdvertised, pattern } from './exercise.ts';
import { scratchDir, startNbdkit, writePskFile, type Peer } from './peers.ts';

// One nbdkit per test: nbdkit 1.32.5 aborts when a multi-connection client drops mid-flight
// after an injected error.
const t = perTest();

const open = (p: Peer, extra: Partial<Parameters<typeof BridgeClient.connect>[0]> = {}) =>
  BridgeClient.connect({ host: p.host, port: p.port, exportName: p.exportName, ...extra });

describe('our client against nbdkit memory', () => {
  it('negotiates (structured replies, base:allocation, size) and runs every advertised command', async () => {
    t.peer = await startNbdkit({ size: '16M' });
    t.client = await open(t.peer!);
    const x = t.client!.info!;
    expect(x.size).toBe(16 * 1024 * 1024);
    expect(x.structuredReplies).toBe(true);
    expect(x.tls).toBe(false);
    expect(Object.keys(x.metaContexts)).toEqual(['base:allocation']);
    const done = await exerciseAdvertised(t.client!);
    expect(done).toEqual(['write', 'read', 'write+fua', 'flush', 'write-zeroes', 'trim', 'cache', 'read+df', 'block-status']);
  });

  it('TLS-PSK: STARTTLS with the right key, then the same commands work over TLS', async () => {
    const dir = scratchDir('psk');
    const file = writePskFile(dir, 'alice', '7f3c2a0e11d4b5a69e8870c1f2d3e4b5');
    t.peer = await startNbdkit({ tlsPskFile: file });
    t.client = await open(t.peer!, { psk: readPskFile(file)[0]! });
    expect(t.client!.info!.tls).toBe(true);
    const p = pattern(65536, 3);
    await t.client!.write(4096, p);
    expect(equalBytes(await t.client!.read(4096, p.length), p)).toBe(true);
  });

  it('TLS-PSK: a wrong key is refused with a clear error; no TLS at all gets TLS required', async () => {
    const dir = scratchDir('psk');
    const file = writePskFile(dir, 'alice', '7f3c2a0e11d4b5a69e8870c1f2d3e4b5');
    const wrong = writePskFile(dir, 'alice', '00000000000000000000000000000000', 'wrong.psk');
    t.peer = await startNbdkit({ tlsPskFile: file });
    const bad = await open(t.peer!, { psk: readPskFile(wrong)[0]! }).then(() => null, (e: unknown) => e);
    expect(bad).toBeInstanceOf(NbdClientError);
    expect((bad as NbdClientError).kind).toBe('tls-failed');
    expect((bad as Error).message).toMatch(/TLS handshake failed.*check the PSK/);
    const plain = await open(t.peer!).then(() => null, (e: unknown) => e);
    expect((plain as NbdClientError).kind).toBe('tls-required');
  });

  it('error filter: reads fail with EIO, the connection carries on for writes', async () => {
    t.peer = await startNbdkit({ filters: ['error'], params: { 'error-pread': 'EIO', 'error-pread-rate': '100%' } });
    t.client = await open(t.peer!);
    const err = await t.client!.read(0, 4096).then(() => null, (e: unknown) => e);
    expect((err as NbdClientError).kind).toBe('command');
    expect((err as NbdClientError).nbdError).toBe(5); // NBD_EIO
    await t.client!.write(0, pattern(4096, 1));
    await t.client!.flush();
  });

  it('delay filter: a read takes at least the configured delay', async () => {
    t.peer = await startNbdkit({ filters: ['delay'], params: { 'delay-read': '150ms' } });
    t.client = await open(t.peer!);
    const t0 = Date.now();
    await t.client!.read(0, 4096);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = Date.now();
    await t.client!.write(0, pattern(4096, 2));
    expect(Date.now() - t1).toBeLessThan(140);
  });

  it('blocksize-policy filter: advertised sizes are seen and obeyed (misaligned requests never sent)', async () => {
    t.peer = await startNbdkit({
      filters: ['blocksize-policy'],
      params: { 'blocksize-minimum': '4096', 'blocksize-preferred': '65536', 'blocksize-maximum': '1M', 'blocksize-error-policy': 'error' },
    });
    t.client = await open(t.peer!);
    const x = t.client!.info!;
    expect([x.blockSizeAdvertised, x.minBlock, x.prefBlock, x.maxPayload]).toEqual([true, 4096, 65536, 1024 * 1024]);
    const refused = await t.client!.read(100, 4096).then(() => null, (e: unknown) => e);
    expect((refused as NbdClientError).kind).toBe('submit');
    const tooBig = await t.client!.read(0, 2 * 1024 * 1024).then(() => null, (e: unknown) => e);
    expect((tooBig as NbdClientError).kind).toBe('submit');
    const p = pattern(8192, 5);
    await t.client!.write(4096, p);
    expect(equalBytes(await t.client!.read(4096, 8192), p)).toBe(true);
  });
});
