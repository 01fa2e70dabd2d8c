/** Drives every command a peer advertises through our client and checks the results by value. */
import { expect } from 'vitest';
import type { BridgeClient } from '../../../tools/bridge/client.ts';

// Transmission flags and command flags from proto.md, written out by hand.
const F = { READ_ONLY: 2, SEND_FLUSH: 4, SEND_FUA: 8, SEND_TRIM: 32, SEND_WRITE_ZEROES: 64, SEND_DF: 128, SEND_CACHE: 1024 };
const CMD_FLAG = { FUA: 1, DF: 4 };

/** Deterministic test bytes: byte i of a pattern with seed s is (i * 31 + s) & 0xff. */
export function pattern(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Returns the names of the commands exercised, for the test to check against the flags. */
export async function exerciseAdvertised(c: BridgeClient): Promise<string[]> {
  const x = c.info!;
  const f = x.transmissionFlags;
  const done: string[] = [];
  expect(f & F.READ_ONLY).toBe(0);
  const p = pattern(64 * 1024, 7);
  await c.write(128 * 1024, p);
  expect(equalBytes(await c.read(128 * 1024, p.length), p)).toBe(true);
  done.push('write', 'read');
  if (f & F.SEND_FUA) {
    const q = pattern(4096, 99);
    await c.write(0, q, CMD_FLAG.FUA);
    expect(equalBytes(await c.read(0, 4096), q)).toBe(true);
    done.push('write+fua');
  }
  if (f & F.SEND_FLUSH) {
    await c.flush();
    done.push('flush');
  }
  if (f & F.SEND_WRITE_ZEROES) {
    await c.zero(128 * 1024, 8192);
    const z = await c.read(128 * 1024, 16384);
    expect(z.subarray(0, 8192).every((b) => b === 0)).toBe(true);
    expect(equalBytes(z.subarray(8192), p.subarray(8192, 16384))).toBe(true);
    done.push('write-zeroes');
  }
  if (f & F.SEND_TRIM) {
    // Trimmed data is unspecified; only success is required.
    await c.trim(1024 * 1024, 65536);
    done.push('trim');
  }
  if (f & F.SEND_CACHE) {
    await c.cache(0, 65536);
    done.push('cache');
  }
  if (f & F.SEND_DF) {
    const d = await c.read(128 * 1024 + 8192, 8192, CMD_FLAG.DF);
    expect(equalBytes(d, p.subarray(8192, 16384))).toBe(true);
    done.push('read+df');
  }
  if (x.metaContexts['base:allocation'] !== undefined) {
    const ext = await c.blockStatus(0, 1024 * 1024);
    const covered = ext.reduce((a, e) => a + e.length, 0);
    expect(covered).toBeGreaterThan(0);
    expect(covered).toBeLessThanOrEqual(1024 * 1024);
    // The FUA-written first 4 KiB hold data: no HOLE bit (1) on the extent at offset 0.
    expect(ext[0]!.flags & 1).toBe(0);
    done.push('block-status');
  }
  return done;
}
