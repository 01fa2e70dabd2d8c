import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { ServerAckChecker } from '../../../scenarios/checkers/server-acks.ts';

const S = 'a/nbd-server/10.0.0.1:49152';
const D = 'a/disk-disk0';
let seq = 0;
const rec = (t: number, src: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ t, seq: seq++, src, kind, data });
const req = (t: number, cmd: string, lo: number, offset: number, flags = 0): TraceRecord =>
  rec(t, S, 'nbd.request', { cmd, flags, cookieHi: 1, cookieLo: lo, offset, length: 4096 });
const reply = (t: number, lo: number): TraceRecord => rec(t, S, 'nbd.reply', { cookieHi: 1, cookieLo: lo, bytes: 16 });
const disk = (t: number, kind: 'disk.submit' | 'disk.done', op: string, off: number, fua = false): TraceRecord =>
  rec(t, D, kind, { op, off: op === 'flush' ? 0 : off, len: op === 'flush' ? 0 : 4096, fua });

function run(records: TraceRecord[]) {
  const c = new ServerAckChecker();
  for (const r of records) c.onRecord(r);
  return c.report();
}

describe('server ack checker', () => {
  it('accepts writes and flushes answered after their disk operation completed', () => {
    const rep = run([
      req(10, 'NBD_CMD_WRITE', 1, 8192), disk(10, 'disk.submit', 'write', 8192), disk(30, 'disk.done', 'write', 8192), reply(30, 1),
      req(40, 'NBD_CMD_FLUSH', 2, 0), disk(40, 'disk.submit', 'flush', 0), disk(90, 'disk.done', 'flush', 0), reply(90, 2),
      req(95, 'NBD_CMD_READ', 3, 0), reply(99, 3),
    ]);
    expect(rep).toEqual({ ok: true, checked: 2, violations: [], serverProtocolErrors: 0 });
  });

  it('flags a write acknowledged before its disk write completed, and a FLUSH before the flush', () => {
    const rep = run([
      req(10, 'NBD_CMD_WRITE', 1, 8192), disk(10, 'disk.submit', 'write', 8192), reply(10, 1), disk(30, 'disk.done', 'write', 8192),
      req(40, 'NBD_CMD_FLUSH', 2, 0), reply(40, 2), disk(40, 'disk.submit', 'flush', 0), disk(90, 'disk.done', 'flush', 0),
    ]);
    expect(rep.ok).toBe(false);
    expect(rep.violations.map((v) => v.message)).toEqual([
      'a: NBD_CMD_WRITE [byte 8192, +4 KiB) received at 10ns was acknowledged at 10ns before the disk applied it',
      'a: NBD_CMD_FLUSH [byte 0, +4 KiB) received at 40ns was acknowledged at 40ns before the disk\'s flush completed',
    ]);
  });

  it('flags a FUA write that reaches the disk without FUA; a refused request needs no disk operation', () => {
    const rep = run([
      req(10, 'NBD_CMD_WRITE', 1, 0, 1), disk(10, 'disk.submit', 'write', 0, false), disk(20, 'disk.done', 'write', 0), reply(20, 1),
      req(30, 'NBD_CMD_WRITE', 2, 4096), rec(30, S, 'nbd.refused', { cookieHi: 1, cookieLo: 2, error: 5 }),
    ]);
    expect(rep.violations.map((v) => v.message)).toEqual(['a: FUA NBD_CMD_WRITE [byte 0, +4 KiB) reached the disk without FUA']);
    expect(rep.checked).toBe(1);
  });
});
