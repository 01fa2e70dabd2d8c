import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../../tools/bridge/serve.ts';
import { pattern } from './exercise.ts';
import { run, scratchDir } from './peers.ts';

const MiB = 1024 * 1024;
let srv: RunningServer;
let uri: (name: string) => string;
const dir = scratchDir('serve');

beforeAll(async () => {
  srv = await startServe({ port: 0, exports: [{ name: 'big', size: 64 * MiB }, { name: 'small', size: MiB }, { name: 'io', size: 8 * MiB }] });
  uri = (name) => `nbd://127.0.0.1:${srv.port}/${name}`;
});
afterAll(async () => {
  await srv?.close();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('our serve checked by the real tools', () => {
  it('nbdinfo: protocol, size and flags of one export', async () => {
    const r = await run('nbdinfo', [uri('small')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('protocol: newstyle-fixed without TLS, using structured packets');
    expect(r.stdout).toContain('export-size: 1048576 (1M)');
    expect(r.stdout).toMatch(/base:allocation/);
    for (const f of ['can_flush: true', 'can_fua: true', 'can_trim: true', 'can_zero: true', 'can_multi_conn: true', 'is_read_only: false']) {
      expect(r.stdout).toContain(f);
    }
  });

  it('nbdinfo --list: every export with its size', async () => {
    const r = await run('nbdinfo', ['--list', uri('small')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('export="big"');
    expect(r.stdout).toContain('export-size: 67108864 (64M)');
    expect(r.stdout).toContain('export="small"');
    expect(r.stdout).toContain('export="io"');
  });

  it('qemu-io pattern write/read, then nbdinfo --map shows data where written and holes elsewhere', async () => {
    const w = await run('qemu-io', ['-f', 'raw', '-c', 'write -P 0xa5 1M 256k', '-c', 'read -P 0xa5 1M 256k', '-c', 'read -P 0 0 64k', uri('io')]);
    expect(w.code, w.stderr + w.stdout).toBe(0);
    expect(w.stdout).toContain('wrote 262144/262144 bytes at offset 1048576');
    expect(w.stdout).not.toMatch(/Pattern verification failed/);
    const m = await run('nbdinfo', ['--map', uri('io')]);
    expect(m.code, m.stderr).toBe(0);
    const rows = m.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    // hole 0..1M, data 1M..1M+256K, hole to the end (8M); the store allocates 256 KiB pages
    expect(rows.map((r) => [Number(r[0]), Number(r[1]), Number(r[2])])).toEqual([
      [0, MiB, 3], [MiB, 262144, 0], [MiB + 262144, 8 * MiB - MiB - 262144, 3],
    ]);
  });

  it('qemu-img info reads the virtual size', async () => {
    const r = await run('qemu-img', ['info', '--output=json', uri('small')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)['virtual-size']).toBe(MiB);
  });

  it('nbdcopy round trip of 64 MiB keeps the checksum', async () => {
    const src = join(dir, 'src.bin');
    const back = join(dir, 'back.bin');
    const data = new Uint8Array(64 * MiB);
    // Non-zero everywhere so nothing is skipped as a hole: 64 KiB patterns with varying seeds.
    for (let i = 0; i < 1024; i++) data.set(pattern(65536, i), i * 65536);
    writeFileSync(src, data);
    const up = await run('nbdcopy', [src, uri('big')], { timeoutMs: 120_000 });
    expect(up.code, up.stderr).toBe(0);
    const down = await run('nbdcopy', [uri('big'), back], { timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(readFileSync(back))).toBe(sha256(data));
  });
});
