// Where every microsecond went: one request id on every record of a request, across client,
// wire, server and disk; each completed request's stages are the gaps between its own records
// and sum exactly to its end-to-end latency.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { requestTimelines, stagePercentiles } from '../../../tools/trace/latency.ts';
import { toChromeTrace } from '../../../tools/trace/perfetto.ts';

const recs: TraceRecord[] = [];
runScenario(loadScenario(join(import.meta.dirname, '../../../scenarios/smoke.toml')), 1, { onTrace: (r) => recs.push(r) });
const ts = requestTimelines(recs);
type D = Record<string, number>;
const data = (r: TraceRecord): D => r.data as D;
const host = (r: TraceRecord): string => r.src.slice(0, r.src.indexOf('/'));
const carries = (r: TraceRecord, id: number): boolean => ((r.data as { rids?: number[] }).rids ?? []).includes(id);

const STAGES = ['blk-mq queue', 'driver queue', 'socket send queue', 'wire out', 'server receive', 'server queue', 'disk',
  'server send', 'wire back', 'client receive/softirq', 'completion'];

describe('request id across hosts', () => {
  it('the server names the request the cookie it received was sent for; the driver\'s own requests have no id', () => {
    const reqs = recs.filter((r) => r.kind === 'nbd.request');
    expect(reqs.filter((r) => data(r)['rid'] !== undefined).length).toBeGreaterThan(1500);
    for (const r of reqs) {
      const d = data(r);
      const send = recs.filter((s) => s.kind === 'rq.send' && s.t <= r.t && data(s)['gen'] === d['cookieHi'] && data(s)['tag'] === d['cookieLo']).at(-1)!;
      expect(data(send)['off']).toBe(d['offset']);
      // Read-ahead and the read-back are the driver's (no block request): id -1 on rq.send, none at the server.
      const id = data(send)['id']!;
      expect(d['rid']).toBe(id >= 0 ? id : undefined);
    }
  });

  it('each disk operation and reply names the request it serves', () => {
    const byRid = new Map(recs.filter((r) => r.kind === 'nbd.request' && data(r)['rid'] !== undefined).map((r) => [data(r)['rid'], data(r)]));
    const disk = recs.filter((r) => r.kind === 'disk.submit' && data(r)['rid'] !== undefined);
    expect(disk.length).toBeGreaterThan(1000);
    for (const r of disk) {
      const q = byRid.get(data(r)['rid'])!;
      if ((r.data as Record<string, unknown>)['op'] === 'flush') expect((q as Record<string, unknown>)['cmd']).toBe('NBD_CMD_FLUSH');
      else expect([data(r)['off'], data(r)['len']]).toEqual([q['offset'], q['length']]);
    }
    for (const r of recs.filter((x) => x.kind === 'nbd.reply' && data(x)['rid'] !== undefined)) {
      const q = byRid.get(data(r)['rid'])!;
      expect([data(r)['cookieHi'], data(r)['cookieLo']]).toEqual([q['cookieHi'], q['cookieLo']]);
    }
  });

  it('the packets carrying a request\'s bytes name it, each way', () => {
    // A 4 KiB write is a 28-byte header and 4096 bytes of payload: at least 4124 bytes leave the client named by it.
    const w = ts.find((t) => t.op === 'write' && t.server === 'a')!;
    const out = recs.filter((r) => r.kind === 'nic.tx' && host(r) === 'client' && carries(r, w.id));
    expect(out.reduce((n, r) => n + data(r)['bytes']!, 0)).toBeGreaterThanOrEqual(4124);
    // Its reply is a 16-byte simple reply (or a 20-byte structured chunk) from the server.
    const back = recs.filter((r) => r.kind === 'nic.tx' && host(r) === 'a' && carries(r, w.id));
    expect(back.length).toBeGreaterThan(0);
    // A read of written blocks comes back with its 4096 bytes (one of unwritten blocks as a hole chunk).
    const replyBytes = (id: number): number => recs.filter((r) => r.kind === 'nic.rx' && host(r) === 'client' && carries(r, id)).reduce((n, r) => n + data(r)['bytes']!, 0);
    const reads = ts.filter((t) => t.op === 'read' && t.server === 'a').slice(-200).map((t) => replyBytes(t.id));
    expect(Math.min(...reads)).toBeGreaterThan(0);
    expect(Math.max(...reads)).toBeGreaterThanOrEqual(4096);
  });
});

describe('trace latency', () => {
  it('every completed request has a timeline whose stages sum exactly to completed − start', () => {
    const completes = recs.filter((r) => r.kind === 'rq.complete' && r.src.startsWith('client/blk/'));
    expect(ts.length).toBe(completes.length);
    for (const [i, t] of ts.entries()) {
      const d = data(completes[i]!);
      expect(t.stages.reduce((n, [, ns]) => n + ns, 0)).toBe(d['completed']! - d['start']!);
      for (const [, ns] of t.stages) expect(ns).toBeGreaterThanOrEqual(0);
    }
    // Every request that went to the server has every stage, none folded into another.
    const sent = ts.filter((t) => t.server === 'a');
    expect(sent.length).toBeGreaterThan(1500);
    for (const t of sent) expect(t.stages.map(([s]) => s)).toEqual(STAGES);
  });

  it('a read\'s stages are the gaps between its own records, found by hand', () => {
    const t = ts.filter((x) => x.op === 'read' && x.server === 'a')[100]!;
    const mine = recs.filter((r) => data(r)?.['id'] === t.id || data(r)?.['rid'] === t.id || data(r)?.['rq'] === t.id || carries(r, t.id));
    const at = (pred: (r: TraceRecord) => boolean, last = false): number => (last ? mine.filter(pred).at(-1)! : mine.find(pred)!).t;
    const complete = data(mine.find((r) => r.kind === 'rq.complete')!);
    const pts = [complete['start']!, complete['dispatched']!,
      at((r) => r.kind === 'rq.send', true),
      at((r) => r.kind === 'nic.tx' && host(r) === 'client', true),
      at((r) => r.kind === 'nic.rx' && host(r) === 'a', true),
      at((r) => r.kind === 'nbd.request'),
      at((r) => r.kind === 'disk.submit'),
      at((r) => r.kind === 'disk.done'),
      at((r) => r.kind === 'nic.tx' && host(r) === 'a', true),
      at((r) => r.kind === 'nic.rx' && host(r) === 'client', true),
      at((r) => r.kind === 'rq.done'),
      complete['completed']!];
    expect(t.stages.map(([, ns]) => ns)).toEqual(pts.slice(1).map((p, i) => p - pts[i]!));
  });

  it('a hand-built trace: stages from the records, a point before its predecessor counts from it', () => {
    const r = (t: number, src: string, kind: string, d: Record<string, unknown>): TraceRecord => ({ t, seq: t, src, kind, data: d });
    const [one] = requestTimelines([
      r(100, 'client/blk/nbd0', 'rq.queue', { rq: 7 }),
      r(130, 'nbd0', 'rq.send', { id: 7, off: 0, len: 4096 }),
      r(140, 'client/nic0', 'nic.tx', { rids: [6, 7] }),
      r(190, 'a/nic0', 'nic.rx', { rids: [7] }),
      r(185, 'a/nbd-server/x', 'nbd.request', { rid: 7 }), // header parsed before the payload's last packet
      r(200, 'a/nic0', 'nic.rx', { rids: [7] }),
      r(230, 'a/disk-d', 'disk.submit', { rid: 7 }),
      r(330, 'a/disk-d', 'disk.done', { rid: 7 }),
      r(331, 'a/nbd-server/x', 'nbd.reply', { rid: 7 }),
      r(335, 'a/nic0', 'nic.tx', { rids: [7] }),
      r(380, 'client/nic0', 'nic.rx', { rids: [7] }),
      r(395, 'nbd0', 'rq.done', { id: 7 }),
      r(400, 'client/blk/nbd0', 'rq.complete', { rq: 7, op: 'write', start: 90, dispatched: 110, completed: 399 }),
    ]);
    expect(one!.server).toBe('a');
    // 90 → 110 → 130 → 140 → 200 → (185 counts from 200) → 230 → 330 → 335 → 380 → 395 → 399
    expect(one!.stages).toEqual([['blk-mq queue', 20], ['driver queue', 20], ['socket send queue', 10], ['wire out', 60],
      ['server receive', 0], ['server queue', 30], ['disk', 100], ['server send', 5], ['wire back', 45],
      ['client receive/softirq', 15], ['completion', 4]]);
  });

  it('per-op percentiles list the stages in request order, end to end last', () => {
    const p = stagePercentiles(ts);
    expect(Object.keys(p['write']!)).toEqual([...STAGES, 'end to end']);
    expect(p['write']!['end to end']!.count).toBe(ts.filter((t) => t.op === 'write').length);
  });
});

describe('Perfetto export of requests', () => {
  it('stage slices on each host\'s request lanes, joined by a flow client → server → client', () => {
    const ev = toChromeTrace(undefined, recs).traceEvents;
    const flows = new Map<string, typeof ev>();
    for (const e of ev) if (e.cat === 'request-flow') flows.set(e.id!, [...(flows.get(e.id!) ?? []), e]);
    expect(flows.size).toBe(ts.filter((t) => t.server !== undefined).length);
    const slices = ev.filter((e) => e.ph === 'X');
    for (const [, f] of [...flows].slice(0, 200)) {
      expect(f.map((e) => e.ph)).toEqual(['s', 't', 'f']);
      expect(f[0]!.pid).toBe(f[2]!.pid); // client
      expect(f[1]!.pid).not.toBe(f[0]!.pid); // server host
      // Each flow point starts a stage slice on its own lane (so the arrow binds to it).
      for (const p of f) expect(slices.some((x) => x.pid === p.pid && x.tid === p.tid && x.ts === p.ts)).toBe(true);
    }
    // Slices on one lane never overlap (a lane holds one request at a time).
    const byLane = new Map<string, { ts: number; end: number }[]>();
    for (const x of slices) byLane.set(`${x.pid}/${x.tid}`, [...(byLane.get(`${x.pid}/${x.tid}`) ?? []), { ts: x.ts!, end: x.ts! + x.dur! }]);
    for (const xs of byLane.values()) for (let i = 1; i < xs.length; i++) expect(xs[i]!.ts).toBeGreaterThanOrEqual(xs[i - 1]!.end - 1e-9);
  });
});
