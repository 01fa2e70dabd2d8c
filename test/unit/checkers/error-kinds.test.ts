// Errors keep their kind: a request its disk failed fails at the client with the disk's error.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { ErrorKindChecker } from '../../../scenarios/checkers/error-kinds.ts';

let seq = 0;
const rec = (t: number, src: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ t, seq: seq++, src, kind, data });

/** Request 7: queued, sent, its disk fails it with `diskErr`, the reply reaches the client, the job sees `jobErr`. */
function life(diskErr: string, jobErr: number, opts: { delivered?: boolean; resent?: boolean } = {}): TraceRecord[] {
  return [
    rec(1, 'client/blk/nbd0', 'rq.queue', { rq: 7, op: 'write' }),
    rec(2, 'nbd0', 'rq.send', { id: 7 }),
    rec(3, 'a/disk-disk0', 'disk.done', { op: 'write', err: diskErr, rid: 7 }),
    rec(4, 'a/nbd-server/x', 'nbd.reply', { rid: 7 }),
    ...(opts.delivered === false ? [] : [rec(5, 'client/nic0', 'nic.rx', { rids: [6, 7] })]),
    ...(opts.resent ? [rec(6, 'nbd0', 'rq.send', { id: 7 })] : []),
    rec(7, 'client/blk/nbd0', 'rq.complete', { rq: 7, op: 'write', err: jobErr }),
  ];
}

function check(recs: TraceRecord[]): ReturnType<ErrorKindChecker['report']> {
  const c = new ErrorKindChecker();
  for (const r of recs) c.onRecord(r);
  return c.report();
}

describe('error-kinds checker', () => {
  it('ENOSPC from the disk reaching the job as ENOSPC (28) passes; as EIO (5) is a violation naming both', () => {
    expect(check(life('ENOSPC', 28))).toEqual({ ok: true, checked: 1, violations: [] });
    const bad = check(life('ENOSPC', 5));
    expect(bad.ok).toBe(false);
    expect(bad.violations[0]!.message).toBe('request 7 (write): its disk failed it with ENOSPC, the job saw EIO');
    expect(check(life('EIO', 5)).ok).toBe(true);
  });

  it('says nothing when the error reply never reached the client, or the request was sent again, or it succeeded', () => {
    expect(check(life('ENOSPC', 5, { delivered: false }))).toEqual({ ok: true, checked: 0, violations: [] });
    expect(check(life('ENOSPC', 110, { resent: true }))).toEqual({ ok: true, checked: 0, violations: [] });
    expect(check(life('EIO', 0)).checked).toBe(0);
  });
});
