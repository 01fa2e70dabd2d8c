// [nbd] extended_headers: the driver asks for NBD_OPT_EXTENDED_HEADERS; a server that grants it
// gets 32-byte requests (the server session is in extended mode) and data still round-trips; a
// server that refuses it (as nbdkit 1.32, qemu-nbd 7.2 and nbd-server 3.24 do) gets structured
// replies and the same data.
import { describe, expect, it } from 'vitest';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { parseNbdConfig } from '../../../scenarios/schema/nbd-file.ts';
import { config, rig } from './harness.ts';

const MiB = 1 << 20;

function cfg(extendedHeaders: boolean) {
  return config({
    connectionPoolSize: 2, connectionMaxCount: 4, extendedHeaders,
    servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
    exports: [{ name: 'disk', device: undefined, access: 'rw' }],
  });
}

function roundTrip(extendedHeaders: boolean, refuse: boolean) {
  const r = rig(5, cfg(extendedHeaders), (n) => n.addServer('srv', { size: 8 * MiB, ...(refuse ? { noExtendedHeaders: true } : {}) }));
  r.engine.runUntil(10_000_000);
  expect(r.dev.state).toBe('ready');
  const data = new Uint8Array(12288).map((_, i) => (i * 13 + 1) & 0xff);
  const w = r.blk.submit(REQ_OP.WRITE, 1 << 20, data.length, data)!;
  r.engine.runUntil(20_000_000);
  const out = new Uint8Array(data.length);
  const rd = r.blk.submit(REQ_OP.READ, 1 << 20, out.length, out)!;
  r.engine.runUntil(30_000_000);
  expect([r.blk.done.get(w), r.blk.done.get(rd)]).toEqual([0, 0]);
  expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  const sessions = [...r.net.servers.get('srv')!.sockets].map((c) => c.session!);
  expect(sessions.length).toBe(2);
  return sessions.map((s) => [s.extended, s.structured]);
}

describe('[nbd] extended_headers', () => {
  it('on, granted: every connection runs extended headers', () => {
    expect(roundTrip(true, false)).toEqual([[true, true], [true, true]]);
  });

  it('on, refused by the server: every connection falls back to structured replies', () => {
    expect(roundTrip(true, true)).toEqual([[false, true], [false, true]]);
  });

  it('off (the default): never asked, even of a server that would grant it', () => {
    expect(roundTrip(false, false)).toEqual([[false, true], [false, true]]);
  });
});

describe('[nbd] extended_headers in a config file', () => {
  it('parses (default false) and is refused with the UDP transport, which has 28-byte headers', () => {
    expect(parseNbdConfig('[nbd]\n', 'x.toml').extendedHeaders).toBe(false);
    expect(parseNbdConfig('[nbd]\nextended_headers = true\n', 'x.toml').extendedHeaders).toBe(true);
    expect(() => parseNbdConfig('[nbd]\nextended_headers = true\nudp_enabled = true\n', 'x.toml')).toThrow(/udp_enabled.*28-byte request headers/s);
    expect(() => parseNbdConfig('[nbd]\nextended_headers = "yes"\n', 'x.toml')).toThrow(/extended_headers/);
  });
});
