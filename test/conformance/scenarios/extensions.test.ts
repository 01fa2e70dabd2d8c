// scenarios/ext-compression.toml against the same run with the extensions off: the bytes the
// driver sent (bytes_sent of nbd-connection-info, summed over connections) fall, the data stays
// verified, and nothing is retried on a clean wire.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const text = readFileSync(join(import.meta.dirname, '../../../scenarios/ext-compression.toml'), 'utf8');

function bytesSent(src: string): { sent: number; received: number; passed: boolean } {
  const r = runScenario(parseScenario(src, 'ext.toml'), 1);
  const t = r.mgmt.find((m) => m.command[0] === 'nbd-connection-info')?.table;
  if (!t) throw new Error('no nbd-connection-info table in the run');
  const col = (name: string) => t.columns.indexOf(name);
  let sent = 0;
  let received = 0;
  for (const row of t.rows) {
    sent += Number(row[col('bytes_sent')]);
    received += Number(row[col('bytes_received')]);
  }
  return { sent, received, passed: r.passed };
}

describe('ext-compression', () => {
  it('compressed + checksummed: passes, and sends under half the bytes of the same run without the extensions', () => {
    const on = bytesSent(text);
    const off = bytesSent(text.replace('compression_enabled = true', 'compression_enabled = false').replace('checksum_enabled = true', 'checksum_enabled = false'));
    expect(on.passed).toBe(true);
    expect(off.passed).toBe(true);
    // ~500 writes of 4 KiB (2 MiB) dominate what the client sends; verify blocks compress ≥ 2×.
    expect(off.sent).toBeGreaterThan(500 * 4096 * 0.8);
    expect(on.sent).toBeLessThan(off.sent / 2);
    expect(on.received).toBeLessThan(off.received / 2);
  });
});

// scenarios/ext-compression-ratio.toml: buffer_compress_percentage sets how far LZ4 can shrink
// what the job writes, and the compressor's CPU cost bounds the write rate.
const ratioText = readFileSync(join(import.meta.dirname, '../../../scenarios/ext-compression-ratio.toml'), 'utf8');

function payloads(src: string): { raw: number; wire: number; iops: number; passed: boolean } {
  const r = runScenario(parseScenario(src, 'ratio.toml'), 1);
  const t = r.mgmt.find((m) => m.command[0] === 'nbd-network-stats')?.table;
  if (!t) throw new Error('no nbd-network-stats table in the run');
  const v = (k: string) => Number(t.rows.find((row) => row[0] === k)?.[1]);
  return { raw: v('net/payload_raw_sent'), wire: v('net/payload_wire_sent'), iops: r.jobs[0]!.iops, passed: r.passed };
}

describe('ext-compression-ratio', () => {
  it('75 % compressible: the wire carries between a quarter of the raw bytes (+ frame headers) and 0.30 of them', () => {
    const on = payloads(ratioText);
    expect(on.passed).toBe(true);
    expect(on.raw).toBe(1024 * 4096);
    // Per 4 KiB write: 8 chunks × 128 random bytes LZ4 must copy as literals, + the 16-byte frame header.
    expect(on.wire).toBeGreaterThanOrEqual(1024 * (8 * 128 + 16));
    expect(on.wire / on.raw).toBeLessThan(0.30);
  });

  it('0 % compressible (random): every write goes raw, 4096 + 16 bytes', () => {
    const rnd = payloads(ratioText.replace(/^buffer_compress_percentage = 75$/m, 'buffer_compress_percentage = 0'));
    expect(rnd.wire).toBe(1024 * (4096 + 16));
  });

  it('compressing costs CPU: one core compresses 4 KiB in 4096 × 2.7 ns = 11.06 µs, so the job stays under 1e9 / 11059 ≈ 90.4k IOPS; without compression it goes past', () => {
    const on = payloads(ratioText);
    const off = payloads(ratioText.replace(/^compression_enabled = true$/m, 'compression_enabled = false'));
    expect(on.iops).toBeLessThan(1e9 / 11_059);
    expect(off.iops).toBeGreaterThan(1e9 / 11_059);
  });
});
