// `serve --allow` / `--read-only-for`: the server's access policy from the command line, checked
// with probe over loopback (our client's address there is 127.0.0.1; no TLS, so no psk: identity).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../../tools/bridge/probe.ts';
import type { RunningServer } from '../../../tools/bridge/serve.ts';
import { startServeCli } from '../../../tools/bridge/serve-cli.ts';

const io = () => {
  const t = { out: '', err: '' };
  return { t, io: { out: (s: string) => { t.out += s; }, err: (s: string) => { t.err += s; } } };
};

describe('serve access policy', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    const { io: sink } = io();
    const s = await startServeCli({
      port: '0', export: ['open=1M', 'locked=1M', 'ro=1M'],
      allow: ['locked=psk:alice,10.9.9.9'], readOnlyFor: ['ro=127.0.0.1'],
    }, sink);
    if (typeof s === 'number') throw new Error(`serve exited ${s}`);
    srv = s;
  });
  afterAll(async () => {
    await srv.close();
  });

  it('an export whose allow list does not name the client is refused with NBD_REP_ERR_POLICY', async () => {
    const { t, io: sink } = io();
    expect(await probe(`nbd://127.0.0.1:${srv.port}/locked`, {}, sink)).toBe(1);
    expect(t.err).toMatch(/NBD_REP_ERR_POLICY/);
    expect(await probe(`nbd://127.0.0.1:${srv.port}/open`, {}, io().io)).toBe(0);
  });

  it('a read-only grant to the client\'s address: is_read_only, and a write fails', async () => {
    const { t, io: sink } = io();
    expect(await probe(`nbd://127.0.0.1:${srv.port}/ro`, {}, sink)).toBe(0);
    expect(t.out).toContain('is_read_only: true');
    const w = io();
    expect(await probe(`nbd://127.0.0.1:${srv.port}/ro`, { write: '0:4k:0x11' }, w.io)).toBe(1);
  });

  it('bad policy arguments exit 2 naming the flag', async () => {
    const bad = io();
    expect(await startServeCli({ port: '0', export: ['a=1M'], allow: ['b=psk:x'] }, bad.io)).toBe(2);
    expect(bad.t.err).toMatch(/--allow 'b=psk:x': no --export named 'b'/);
    const bad2 = io();
    expect(await startServeCli({ port: '0', export: ['a=1M'], readOnlyFor: ['a=bob'] }, bad2.io)).toBe(2);
    expect(bad2.t.err).toMatch(/--read-only-for 'a=bob': 'bob' is neither/);
  });
});
