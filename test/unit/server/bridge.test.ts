import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExportSpec, parseFill, parseNbdUrl, parseRange, parseSize, UsageError } from '../../../tools/bridge/args.ts';
import { humanSize, mapLine } from '../../../tools/bridge/describe.ts';
import { probe } from '../../../tools/bridge/probe.ts';
import { pickPsk, readPskFile } from '../../../tools/bridge/psk.ts';
import { startServe, type RunningServer } from '../../../tools/bridge/serve.ts';
import { startServeCli } from '../../../tools/bridge/serve-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'orion-bridge-'));

describe('bridge argument parsing', () => {
  it('nbd URLs: host, port (default 10809), URL-decoded export', () => {
    expect(parseNbdUrl('nbd://127.0.0.1:10900/my%20disk')).toEqual({ host: '127.0.0.1', port: 10900, exportName: 'my disk' });
    expect(parseNbdUrl('nbd://server')).toEqual({ host: 'server', port: 10809, exportName: '' });
    expect(parseNbdUrl('nbd://[::1]:5/x')).toEqual({ host: '::1', port: 5, exportName: 'x' });
    expect(() => parseNbdUrl('http://x')).toThrow(/scheme must be nbd:\/\//);
    expect(() => parseNbdUrl('not a url')).toThrow(UsageError);
  });

  it('sizes, ranges, fills and export specs', () => {
    expect(parseSize('64M', 'x')).toBe(64 * 1024 * 1024);
    expect(parseSize('4k', 'x')).toBe(4096);
    expect(parseSize('1G', 'x')).toBe(2 ** 30);
    expect(() => parseSize('12q', '--read length')).toThrow(/--read length: '12q' is not a size/);
    expect(parseRange('4096:512', '--read')).toEqual({ offset: 4096, length: 512 });
    expect(parseFill('0:1M:0xab', '--write')).toEqual({ offset: 0, length: 1 << 20, byte: 0xab });
    expect(() => parseFill('0:1:256', '--write')).toThrow(/byte '256' must be 0-255/);
    expect(parseExportSpec('disk=64M')).toEqual({ name: 'disk', size: 64 << 20 });
    expect(parseExportSpec('=1M')).toEqual({ name: '', size: 1 << 20 });
    expect(() => parseExportSpec('disk')).toThrow(/NAME=SIZE/);
  });

  it('PSK files in nbdkit format: user:hexkey lines; errors name file and line', () => {
    const f = join(dir, 'k.psk');
    writeFileSync(f, '# keys\nalice:00ff\nbob:0a0b0c\n');
    const keys = readPskFile(f);
    expect(keys.map((k) => [k.identity, [...k.key]])).toEqual([['alice', [0, 255]], ['bob', [10, 11, 12]]]);
    expect(pickPsk(keys, 'bob').identity).toBe('bob');
    expect(pickPsk(keys).identity).toBe('alice');
    expect(() => pickPsk(keys, 'carol')).toThrow(/no key for user 'carol'/);
    const bad = join(dir, 'bad.psk');
    writeFileSync(bad, 'alice:xyz\n');
    expect(() => readPskFile(bad)).toThrow(/bad.psk:1: expected 'username:hexkey'/);
  });

  it('nbdinfo-style human sizes and map lines', () => {
    expect(humanSize(67108864)).toBe('64M');
    expect(humanSize(1536)).toBe('1.5K');
    expect(humanSize(512)).toBe('512');
    expect(mapLine(0, 65536, 0)).toBe('         0       65536    0  data\n');
    expect(mapLine(65536, 1024, 3)).toBe('     65536        1024    3  hole,zero\n');
  });
});

describe('probe against our serve on loopback', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServe({ port: 0, exports: [{ name: 'a', size: 4 << 20 }, { name: 'b', size: 1 << 20 }] });
  });
  afterAll(async () => {
    await srv.close();
  });
  const run = async (url: string, opts: Parameters<typeof probe>[1] = {}) => {
    let out = '';
    let err = '';
    const code = await probe(url, opts, { out: (t) => { out += t; }, err: (t) => { err += t; } });
    return { code, out, err };
  };

  it('prints protocol, size, flags, block sizes and contexts', async () => {
    const r = await run(`nbd://127.0.0.1:${srv.port}/a`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('protocol: newstyle-fixed without TLS, using extended packets');
    expect(r.out).toContain('export-size: 4194304 (4M)');
    expect(r.out).toContain('\t\tbase:allocation');
    expect(r.out).toContain('can_multi_conn: true');
    expect(r.out).toContain('block_size_maximum: 33554432');
    // serve grants every Orion extension but the reserved UDP transport.
    expect(r.out).toContain('extensions: extended-headers=yes compression=lz4 checksum=crc32c udp-transport=refused (NBD_REP_ERR_UNSUP)\n');
  });

  it('--write, --flush, --read report their results; --map shows the written extent', async () => {
    const url = `nbd://127.0.0.1:${srv.port}/a`;
    const w = await run(url, { write: '0:256k:0x11', flush: true, read: '0:4' });
    expect(w.code).toBe(0);
    expect(w.out).toContain('write 262144 bytes of 0x11 at 0: ok');
    expect(w.out).toContain('flush: ok');
    // sha256 of four 0x11 bytes, from sha256sum
    expect(w.out).toContain('read 4 bytes at 0: ok, sha256 82ef6f9e48bcbdf232db1d5c5c6e8f390156f5305b35d4b32f75fc92c8126a32, first bytes 11111111');
    const m = await run(url, { map: true });
    expect(m.out).toBe(mapLine(0, 262144, 0) + mapLine(262144, (4 << 20) - 262144, 3));
  });

  it('--list --json describes every export', async () => {
    const r = await run(`nbd://127.0.0.1:${srv.port}`, { list: true, json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { exports: { 'export-name': string; 'export-size': number }[] };
    expect(j.exports.map((e) => [e['export-name'], e['export-size']])).toEqual([['a', 4 << 20], ['b', 1 << 20]]);
  });

  it('exit 1 with the reason when the server refuses; exit 2 on bad arguments', async () => {
    const refused = await run(`nbd://127.0.0.1:${srv.port}/zzz`);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/NBD_REP_ERR_UNKNOWN/);
    const bad = await run('nbd://127.0.0.1:1/a', { read: 'x' });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--read/);
    expect((await run('nbd://127.0.0.1:1/a', { tlsUser: 'bob' })).code).toBe(2);
    expect((await run('nbd://127.0.0.1:1/a')).code).toBe(1); // nothing listens
  });

  it('a --read or --write past the export\'s end is exit 2 naming the flag, before any buffer of LEN is made', async () => {
    // Export b is 1 MiB: 99999999999 bytes could not be read, and once ended in "Invalid typed array length".
    const huge = await run(`nbd://127.0.0.1:${srv.port}/b`, { read: '0:99999999999' });
    expect([huge.code, huge.out]).toEqual([2, '']);
    expect(huge.err).toMatch(/--read: 0:99999999999 ends at 99999999999, past the end of export "b" \(1048576 bytes\)/);
    const w = await run(`nbd://127.0.0.1:${srv.port}/b`, { write: '1048064:1024:0x22' });
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/--write: 1048064:1024 ends at 1049088, past the end of export "b" \(1048576 bytes\)/);
  });
});

describe('serve command arguments', () => {
  it('rejects bad ports, missing or duplicate exports with exit 2', async () => {
    let err = '';
    const io = { out: () => {}, err: (t: string) => { err += t; } };
    expect(await startServeCli({ port: '70000', export: ['a=1M'] }, io)).toBe(2);
    expect(await startServeCli({ port: '0', export: [] }, io)).toBe(2);
    expect(await startServeCli({ port: '0', export: ['a=1M', 'a=2M'] }, io)).toBe(2);
    expect(err).toMatch(/--port: '70000'/);
    expect(err).toMatch(/given twice/);
    const ok = await startServeCli({ port: '0', export: ['a=1M'] }, io);
    expect(typeof ok).toBe('object');
    if (typeof ok === 'object') await ok.close();
  });
});
