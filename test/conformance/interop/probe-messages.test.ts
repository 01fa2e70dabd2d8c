import { describe, expect, it } from 'vitest';
import { probe } from '../../../tools/bridge/probe.ts';
import { perTest } from './fixture.ts';
import { startNbdServer, startQemuNbd } from './peers.ts';

// What `orion-sim probe` tells the user when a real server refuses something: the server's own
// answer, and every other command of the same call still runs.
const t = perTest();
const MiB = 1024 * 1024;

async function probeOut(url: string, opts: Parameters<typeof probe>[1]) {
  let out = '';
  let err = '';
  const code = await probe(url, opts, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('probe against an export the server does not have', () => {
  it('nbd-server (closes right after its answer): NBD_REP_ERR_UNKNOWN with the server\'s text, not a reset', async () => {
    t.peer = await startNbdServer(MiB, 'disk');
    const r = await probeOut(`nbd://${t.peer.host}:${t.peer.port}/nope`, {});
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toBe(`orion-sim probe: ${t.peer.host}:${t.peer.port}/nope: NBD_OPT_GO failed: NBD_REP_ERR_UNKNOWN (Export unknown)\n`);
  });

  it('qemu-nbd: the same, with qemu-nbd\'s text', async () => {
    t.peer = await startQemuNbd(MiB, 'disk');
    const r = await probeOut(`nbd://${t.peer.host}:${t.peer.port}/nope`, {});
    expect(r.code).toBe(1);
    expect(r.err).toBe(`orion-sim probe: ${t.peer.host}:${t.peer.port}/nope: NBD_OPT_GO failed: NBD_REP_ERR_UNKNOWN (export 'nope' not present)\n`);
  });
});

describe('probe --write --flush --read on a server without flush', () => {
  it('the write and the read still run; the flush is reported as unsupported; exit 1', async () => {
    t.peer = await startNbdServer(MiB, 'disk', { flush: false });
    const r = await probeOut(t.peer.uri, { write: '4096:512:0x5a', flush: true, read: '4096:4' });
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n').slice(-3);
    // sha256 of the four bytes 5a 5a 5a 5a, computed independently: `printf 'ZZZZ' | sha256sum`.
    expect(lines).toEqual([
      'write 512 bytes of 0x5a at 4096: ok',
      'flush: unsupported: the server does not offer flush (NBD_FLAG_SEND_FLUSH not set)',
      'read 4 bytes at 4096: ok, sha256 967411641f205748bbbd223a23d4e06b6e609648102da0d886a709108a499889, first bytes 5a5a5a5a',
    ]);
  });
});
