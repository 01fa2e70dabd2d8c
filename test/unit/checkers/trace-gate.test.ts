// Checkers read some kinds only while something is open: through the bus they reach the same
// verdicts as when fed every record, and a closed gate builds no record of those kinds for them.
import { describe, expect, it } from 'vitest';
import { TraceBus, type TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { ErrorKindChecker } from '../../../scenarios/checkers/error-kinds.ts';
import { ServerAckChecker } from '../../../scenarios/checkers/server-acks.ts';
import { TraceGate } from '../../../scenarios/checkers/trace-gate.ts';

const S = 'a/nbd-server/10.0.0.1:49152';
const D = 'a/disk-disk0';
let seq = 0;
const rec = (t: number, src: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ t, seq: seq++, src, kind, data });

/** Emits `records` on a bus the checker is attached to; its report. */
function viaBus<C extends { attach(b: TraceBus, client: string): void; report(): unknown }>(c: C, records: TraceRecord[]): unknown {
  let now = 0;
  const bus = new TraceBus(() => now);
  c.attach(bus, 'client');
  for (const r of records) {
    now = r.t;
    bus.emit(r.src, r.kind, r.data);
  }
  return c.report();
}

function fed<C extends { onRecord(r: TraceRecord): void; report(): unknown }>(c: C, records: TraceRecord[]): unknown {
  for (const r of records) c.onRecord(r);
  return c.report();
}

describe('checkers through the bus, gated', () => {
  it('error kinds: a disk error opens replies, packets, sends and completions; the verdicts are those of every record fed', () => {
    const life = (jobErr: number, delivered: boolean): TraceRecord[] => [
      // Before the error: packets and a reply the gate keeps from the checker.
      rec(1, 'client/blk/nbd0', 'rq.queue', { rq: 7, op: 'write' }), rec(2, 'nbd0', 'rq.send', { id: 7 }), rec(2, 'a/nic0', 'nic.rx', { rids: [7] }),
      rec(3, 'a/disk-disk0', 'disk.done', { op: 'write', err: 'ENOSPC', rid: 7 }), rec(4, S, 'nbd.reply', { rid: 7 }),
      ...(delivered ? [rec(5, 'client/nic0', 'nic.rx', { rids: [7] })] : []),
      rec(7, 'client/blk/nbd0', 'rq.complete', { rq: 7, op: 'write', err: jobErr }),
      // Closed again: a later request's packets are not read, and nothing changes.
      rec(8, 'client/nic0', 'nic.rx', { rids: [8] }),
    ];
    for (const [jobErr, delivered] of [[28, true], [5, true], [5, false]] as const) {
      const got = viaBus(new ErrorKindChecker(), life(jobErr, delivered));
      expect(got).toEqual(fed(new ErrorKindChecker(), life(jobErr, delivered)));
    }
    expect(viaBus(new ErrorKindChecker(), life(5, true))).toMatchObject({ ok: false, checked: 1 });
    expect(viaBus(new ErrorKindChecker(), life(5, false))).toMatchObject({ ok: true, checked: 0 });
  });

  it('server acks: a write opens replies and disk operations; reads alone never do', () => {
    const req = (t: number, cmd: string, lo: number, flags = 0): TraceRecord => rec(t, S, 'nbd.request', { cmd, flags, cookieHi: 1, cookieLo: lo, offset: 0, length: 4096 });
    const disk = (t: number, kind: string, op: string, fua = false): TraceRecord => rec(t, D, kind, { op, off: 0, len: 4096, fua });
    const reply = (t: number, lo: number): TraceRecord => rec(t, S, 'nbd.reply', { cookieHi: 1, cookieLo: lo, bytes: 16 });
    const runs = [
      // A read (gate stays closed), then an early-acknowledged FUA write without FUA at the disk.
      [req(1, 'NBD_CMD_READ', 1), disk(1, 'disk.submit', 'read'), disk(2, 'disk.done', 'read'), reply(2, 1),
        req(3, 'NBD_CMD_WRITE', 2, 1), disk(3, 'disk.submit', 'write'), reply(4, 2), disk(5, 'disk.done', 'write')],
      // A good write, then a write done on the disk while the gate was closed: its reply finds nothing.
      [req(1, 'NBD_CMD_WRITE', 1), disk(1, 'disk.submit', 'write'), disk(2, 'disk.done', 'write'), reply(3, 1), disk(4, 'disk.done', 'write'), req(5, 'NBD_CMD_WRITE', 2), reply(6, 2)],
    ];
    for (const r of runs) expect(viaBus(new ServerAckChecker(), r)).toEqual(fed(new ServerAckChecker(), r));
    expect(viaBus(new ServerAckChecker(), runs[0]!)).toMatchObject({ ok: false, checked: 1 });
    expect(viaBus(new ServerAckChecker(), runs[1]!)).toMatchObject({ ok: false, checked: 2 });
  });

  it('a closed gate delivers only the kinds always read', () => {
    const bus = new TraceBus(() => 0);
    const seen: string[] = [];
    const gate = new TraceGate(bus, (r) => seen.push(r.kind), ['a'], ['b']);
    bus.emit('x', 'a');
    bus.emit('x', 'b');
    gate.set(true);
    gate.set(true);
    bus.emit('x', 'b');
    gate.set(false);
    bus.emit('x', 'b');
    bus.emit('x', 'a');
    expect(seen).toEqual(['a', 'b', 'a']);
  });
});
