import { describe, expect, it } from 'vitest';
import { perTest } from './fixture.ts';
import { BridgeClient } from '../../../tools/bridge/client.ts';
import { equalBytes, exerciseAdvertised, pattern } from './exercise.ts';
import { startNbdServer, startQemuNbd } from './peers.ts';

const t = perTest();

const MiB = 1024 * 1024;

describe('our client against qemu-nbd -t on a raw file', () => {
  it('negotiates, reports the size, and runs every advertised command', async () => {
    t.peer = await startQemuNbd(16 * MiB, 'disk');
    t.client = await BridgeClient.connect({ host: t.peer!.host, port: t.peer!.port, exportName: 'disk' });
    const x = t.client!.info!;
    expect(x.exportName).toBe('disk');
    expect(x.size).toBe(16 * MiB);
    expect(x.structuredReplies).toBe(true);
    expect(x.metaContexts['base:allocation']).toBeTypeOf('number');
    const done = await exerciseAdvertised(t.client!);
    for (const c of ['write', 'read', 'write+fua', 'flush', 'write-zeroes', 'trim', 'read+df', 'block-status']) expect(done).toContain(c);
  });

  it('a pattern written on one connection reads back on a second one (-t keeps serving)', async () => {
    t.peer = await startQemuNbd(4 * MiB, 'disk');
    const p = pattern(MiB, 42);
    const a = await BridgeClient.connect({ host: t.peer!.host, port: t.peer!.port, exportName: 'disk' });
    await a.write(MiB, p);
    await a.flush();
    await a.close();
    t.client = await BridgeClient.connect({ host: t.peer!.host, port: t.peer!.port, exportName: 'disk' });
    expect(equalBytes(await t.client!.read(MiB, MiB), p)).toBe(true);
  });
});

describe('our client against nbd-server (config file on loopback)', () => {
  // nbd-server -d serves exactly one connection, then exits: one connection per test.
  it('negotiates with simple replies, takes the size from GO, and runs every advertised command', async () => {
    t.peer = await startNbdServer(16 * MiB, 'disk');
    t.client = await BridgeClient.connect({ host: t.peer!.host, port: t.peer!.port, exportName: 'disk' });
    const x = t.client!.info!;
    expect(x.size).toBe(16 * MiB);
    expect(x.structuredReplies).toBe(false);
    const done = await exerciseAdvertised(t.client!);
    expect(done).toEqual(['write', 'read', 'write+fua', 'flush', 'write-zeroes', 'trim']);
    const p = pattern(3 * 65536, 11);
    await t.client!.write(5 * MiB, p);
    expect(equalBytes(await t.client!.read(5 * MiB, p.length), p)).toBe(true);
  });
});
