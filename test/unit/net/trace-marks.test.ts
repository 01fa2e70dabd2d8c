import { describe, expect, it } from 'vitest';
import { TraceMarks } from '../../../kernel/net/tcp/trace-marks.ts';

/** The requests in [off, end) as the marks say, by a plain scan (each request once per run of its bytes). */
function expected(marks: [number, number][], off: number, end: number): number[] | undefined {
  const out: number[] = [];
  for (let k = 0; k < marks.length; k++) {
    const [at, rid] = marks[k]!;
    const next = k + 1 < marks.length ? marks[k + 1]![0] : Infinity;
    if (next <= off || at >= end || rid < 0) continue;
    if (out[out.length - 1] !== rid) out.push(rid);
  }
  return out.length > 0 ? out : undefined;
}

describe('TraceMarks.ridsIn', () => {
  it('names the requests whose bytes a segment carries, in stream order, as marked and released', () => {
    const tm = new TraceMarks();
    const marks: [number, number][] = [];
    let end = 0;
    let acked = 0;
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 5000; i++) {
      // A request (or bytes of none) of 1..6000 bytes; some marked twice at one offset (the last mark holds).
      const rid = rnd(9) === 0 ? -1 : rnd(4) === 0 && marks.length > 0 ? marks[marks.length - 1]![1] : i;
      if (marks.length > 0 && marks[marks.length - 1]![0] === end) marks[marks.length - 1]![1] = rid;
      else marks.push([end, rid]);
      tm.mark(end, rid);
      if (rnd(5) !== 0) end += 1 + rnd(6000);
      // Segments over the unacknowledged bytes, then an ack of some of them.
      for (let s = 0; s < 3; s++) {
        const off = acked + rnd(Math.max(1, end - acked));
        const len = 1 + rnd(9000);
        expect(tm.ridsIn(off, off + len)).toEqual(expected(marks, off, off + len));
      }
      acked += rnd(Math.max(1, end - acked + 1));
      tm.release(acked);
    }
  });
});
