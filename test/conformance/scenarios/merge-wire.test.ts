// Sequential I/O that merges: fault-merge plugs what its jobs submit, contiguous bios back-merge,
// and the servers count fewer NBD commands than the client's bios; a bad wire_commands is refused.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { loadScenario, parseScenario } from '../../../scenarios/schema/index.ts';

const merge = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-merge.toml'));

describe('fault-merge: merging seen on the wire', () => {
  it('fewer NBD commands reach the server than the 644 bios the jobs and the read-back submit', () => {
    let requests = 0;
    let merges = 0;
    const r = runScenario(merge, 1, {
      onTrace: (x) => {
        if (x.kind === 'bio.merge') merges++;
        if (x.kind === 'nbd.request' && (x.data as { cmd: string }).cmd !== 'NBD_CMD_DISC') requests++;
      },
    });
    expect(r.passed).toBe(true);
    // seqwrite: 1 MiB / 4 KiB = 256 writes and a flush every 64 (4); seqread: 512 KiB / 4 KiB = 128
    // reads; the read-back reads each of the 256 written extents once.
    const bios = 256 + 4 + 128 + 256;
    const verdict = r.expectations.find((e) => e.name === 'wire_commands.merged')!;
    expect(verdict.ok).toBe(true);
    expect(verdict.actual).toBe(`${requests} NBD commands for ${bios} bios`);
    expect(merges).toBeGreaterThan(0);
    // Every merge saves one command, resends after the partition add some back.
    expect(requests).toBeLessThanOrEqual(bios - merges + 100);
    expect(requests).toBeLessThan(bios / 2);
  });

  it('wire_commands without any of its keys is refused', () => {
    const text = '[scenario]\nname = "x"\n[[server]]\nname = "a"\n[[server.export]]\nname = "d"\nsize = "8MiB"\n[[job]]\nname = "j"\nrw = "write"\n[expect]\nwire_commands = {}\n';
    expect(() => parseScenario(text, 'w.toml')).toThrow(/wire_commands.*give merged, fua or write_zeroes/);
  });
});
