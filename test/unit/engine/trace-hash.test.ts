import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TraceHash } from '../../../hw-sim/engine/trace-hash.ts';

/** Deterministic bytes: piece `i` of `n` bytes. */
function piece(i: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

describe('TraceHash (the trace digest\'s SHA-256, on a worker thread past 1 MiB)', () => {
  it('is the SHA-256 of the bytes fed, short or long, read mid-way or at the end, with traces fed in turn', () => {
    const traces = [new TraceHash(), new TraceHash(), new TraceHash()];
    const refs = traces.map(() => createHash('sha256'));
    // 3 traces x 700 pieces of up to ~20 KiB: past the hand-over, pieces larger than a ring slot,
    // the ring wrapping many times; and one piece reused after it was fed (the hash must have copied it).
    const reused = new Uint8Array(5000);
    for (let i = 0; i < 2100; i++) {
      const t = i % 3;
      const n = i % 97 === 0 ? 20_000 + i : 1 + ((i * 7919) % 9000);
      const b = i % 5 === 0 ? reused : piece(i, n);
      if (b === reused) reused.set(piece(i, reused.length));
      traces[t]!.update(b);
      refs[t]!.update(b);
      if (b === reused) reused.fill(0);
      if (i % 450 === 0) expect(traces[t]!.digest()).toBe(refs[t]!.copy().digest('hex'));
    }
    for (let t = 0; t < 3; t++) expect(traces[t]!.digest()).toBe(refs[t]!.copy().digest('hex'));
    // A trace started after the worker is running, and one fed nothing.
    const late = new TraceHash();
    late.update(piece(1, 100));
    expect(late.digest()).toBe(createHash('sha256').update(piece(1, 100)).digest('hex'));
    expect(new TraceHash().digest()).toBe(createHash('sha256').digest('hex'));
  });
});
