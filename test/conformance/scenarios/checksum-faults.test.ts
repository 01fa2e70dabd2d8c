// Hardware faults below TCP's checksum (NIC rx DMA corruption on the client, memory bit flips on
// the server): with the CRC-32C extension the verify job sees no corrupted data and the driver
// counts the retries; the same run with checksums off hands corrupted reads to the workload. At a
// higher rate headers are hit too: header checksums drop the connection and nothing reaches the workload.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const read = (f: string) => readFileSync(join(import.meta.dirname, '../../../scenarios', f), 'utf8');

function stats(r: ReturnType<typeof runScenario>): Record<string, number> {
  const t = r.mgmt.find((m) => m.command[0] === 'nbd-network-stats')?.table;
  if (!t) throw new Error('no nbd-network-stats table in the run');
  const out: Record<string, number> = {};
  for (const row of t.rows) out[String(row[0])] = Number(row[1]);
  return out;
}

describe('checksums against faults below TCP', () => {
  it('checksums on: zero corrupted reads, every failure retried and counted', () => {
    const r = runScenario(parseScenario(read('ext-checksum-faults.toml'), 'on.toml'), 1);
    expect(r.passed).toBe(true);
    expect(r.safetyViolations).toEqual([]);
    const n = stats(r);
    // The faults bit: ~850 READs reach the server, 3 % of those carrying data get a flipped bit
    // (one draw per reply; a read of never-written blocks is all holes), plus 0.3 % of packets.
    expect(n['net/checksum_failures']).toBeGreaterThan(0);
    // No read failed 4 times in a row, so each failure was followed by exactly one retry.
    expect(n['net/checksum_retries']).toBe(n['net/checksum_failures']);
    expect(r.jobs[0]!.errors).toBe(0);
  });

  it('checksums off: the same faults reach the workload as corrupted reads (the run expects them)', () => {
    const r = runScenario(parseScenario(read('ext-checksum-off.toml'), 'off.toml'), 1);
    expect(r.passed).toBe(true);
    expect(r.safetyViolations.some((v) => v.kind === 'unknown-content')).toBe(true);
    expect(r.expectations.find((x) => x.name === 'corrupted_reads')?.ok).toBe(true);
    expect(stats(r)['net/checksum_failures']).toBe(0);
  });

  it('2 % NIC corruption (ext-header-faults): damaged headers and handshakes drop connections, counted; no error, nothing lost', () => {
    for (const seed of [1, 2]) {
      const r = runScenario(parseScenario(read('ext-header-faults.toml'), 'hdr.toml'), seed);
      expect(r.passed).toBe(true);
      expect(r.safetyViolations).toEqual([]);
      expect(r.jobs[0]!.errors).toBe(0);
      const n = stats(r);
      // Read requests and write replies travel in header-only packets: at 2 % some of them are hit.
      expect(n['net/header_checksum_failures']).toBeGreaterThan(0);
      // Each damaged reply header dropped a connection (a protocol fault); never a handshake refusal.
      expect(n['errors/protocol']).toBeGreaterThanOrEqual(n['net/header_checksum_failures']!);
      expect(n['errors/handshake']).toBe(0);
    }
  });

  it('the two files differ only in the checksum key, the expectation and the job\'s continue_on_error', () => {
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('#') && !/^(name|description|checksum_enabled|safety|corrupted_reads|continue_on_error) =/.test(l)).join('\n');
    expect(strip(read('ext-checksum-off.toml'))).toBe(strip(read('ext-checksum-faults.toml')));
  });
});
