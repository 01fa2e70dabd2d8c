import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../tools/cli/context.ts';
import { main } from '../../../tools/cli/main.ts';
import { scratch } from './harness.ts';

/** The CLI with the real simulator runner; output captured. */
async function realCli(argv: string[]) {
  let out = '';
  let err = '';
  const bytes: Buffer[] = [];
  const io: CliIo = {
    stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdoutBytes: (b) => void bytes.push(Buffer.from(b)),
    stdin: Readable.from(['']), isTTY: false, terminal: process.stderr,
  };
  const code = await main(argv, { io });
  return { code, out, err, bytes: Buffer.concat(bytes) };
}

const SCENARIO = `[scenario]
name = "pcap"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "16MiB"
[[job]]
name = "w"
rw = "randwrite"
iodepth = 2
ios = 20
`;

describe('trace export --format pcap on a trace that run --trace wrote', () => {
  it('gives exactly the pcap that run --pcap writes for the same seed', async () => {
    const dir = scratch({ 's.toml': SCENARIO });
    const f = join(dir, 's.toml');
    const a = await realCli(['run', f, '--trace', join(dir, 't.jsonl'), '--pcap', join(dir, 'direct.pcap')]);
    expect([a.code, a.err]).toEqual([0, '']);
    const x = await realCli(['trace', 'export', join(dir, 't.jsonl'), '--format', 'pcap']);
    expect([x.code, x.err]).toEqual([0, '']);
    const direct = readFileSync(join(dir, 'direct.pcap'));
    // pcap global header magic (ns timestamps) and at least the handshake's packets.
    expect(direct.readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(direct.length).toBeGreaterThan(24 + 20 * 16);
    expect(x.bytes.equals(direct)).toBe(true);
  });

  it('a scenario changed since the trace was written: exit 2 naming the file, no pcap', async () => {
    const dir = scratch({ 's.toml': SCENARIO });
    const f = join(dir, 's.toml');
    expect((await realCli(['run', f, '--trace', join(dir, 't.jsonl')])).code).toBe(0);
    writeFileSync(f, SCENARIO.replace('ios = 20', 'ios = 21'));
    const x = await realCli(['trace', 'export', join(dir, 't.jsonl'), '--format', 'pcap']);
    expect(x.code).toBe(2);
    expect(x.err).toMatch(/t\.jsonl.*has changed since the trace was written/);
    expect(x.bytes.length).toBe(0);
  });
});
