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
