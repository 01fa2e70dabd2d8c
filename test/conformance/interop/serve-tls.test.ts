import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient, NbdClientError } from '../../../tools/bridge/client.ts';
import { readPskFile } from '../../../tools/bridge/psk.ts';
import { startServe, type RunningServer } from '../../../tools/bridge/serve.ts';
import { equalBytes, pattern } from './exercise.ts';
import { run, scratchDir, writePskFile } from './peers.ts';

const dir = scratchDir('serve-tls');
const keys = writePskFile(dir, 'alice', '5a1e0c9d2b7f4e8a6c3d1f0b9e8d7c6b');
const wrong = writePskFile(dir, 'alice', 'ffffffffffffffffffffffffffffffff', 'wrong.psk');
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServe({ port: 0, exports: [{ name: 'a', size: 1 << 20 }], tlsPskFile: keys });
});
afterAll(async () => {
  await srv?.close();
});

describe('serve --tls-psk (node:tls, STARTTLS on the same socket)', () => {
  it('nbdinfo with the PSK file negotiates TLS', async () => {
    const r = await run('nbdinfo', [`nbds://alice@127.0.0.1:${srv.port}/a?tls-psk-file=${keys}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('protocol: newstyle-fixed with TLS, using structured packets');
    expect(r.stdout).toContain('export-size: 1048576 (1M)');
  });

  it('nbdinfo without TLS is refused', async () => {
    const r = await run('nbdinfo', [`nbd://127.0.0.1:${srv.port}/a`]);
    expect(r.code).not.toBe(0);
  });

  it('our client: right key works end to end, wrong key is refused clearly', async () => {
    const c = await BridgeClient.connect({ host: '127.0.0.1', port: srv.port, exportName: 'a', psk: readPskFile(keys)[0]! });
    expect(c.info!.tls).toBe(true);
    const p = pattern(65536, 9);
    await c.write(0, p);
    expect(equalBytes(await c.read(0, p.length), p)).toBe(true);
    await c.close();
    const bad = await BridgeClient.connect({ host: '127.0.0.1', port: srv.port, exportName: 'a', psk: readPskFile(wrong)[0]! })
      .then(() => null, (e: unknown) => e);
    expect((bad as NbdClientError).kind).toBe('tls-failed');
  });
});
