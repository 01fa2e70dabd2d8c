// Where every microsecond went: each completed request's stages, joined across client and server
// by its request id and NBD cookie, sum exactly to its end-to-end latency, and each stage is the
// gap between the records that bound it.
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

describe('trace latency', () => {
  it('every completed request has a timeline whose stages sum exactly to completed − start', () => {
    const completes = recs.filter((r) => r.kind === 'rq.complete' && r.src.startsWith('client/blk/'));
    expect(ts.length).toBe(completes.length);
    for (const [i, t] of ts.entries()) {
      const d = completes[i]!.data as D;
      expect(t.totalNs).toBe(d['completed']! - d['start']!);
      expect(t.stages.reduce((n, [, ns]) => n + ns, 0)).toBe(t.totalNs);
      for (const [, ns] of t.stages) expect(ns).toBeGreaterThanOrEqual(0);
    }
    // Writes go through to the server (reads may be cache hits): every write is joined there.
    const w = ts.filter((t) => t.op === 'write');
    expect(w.filter((t) => t.server === 'a').length).toBe(w.length);
  });

  it('a request\'s stages are the gaps between its own records, found by hand', () => {
    const t = ts.find((x) => x.op === 'write' && x.server === 'a')!;
    const send = recs.find((r) => r.kind === 'rq.send' && (r.data as D)['id'] === t.id)!;
    const { gen, tag, off } = send.data as D;
    const srv = recs.find((r) => r.kind === 'nbd.request' && r.t >= send.t && (r.data as D)['cookieHi'] === gen && (r.data as D)['cookieLo'] === tag)!;
    expect((srv.data as D)['offset']).toBe(off);
    const disk = recs.find((r) => r.kind === 'disk.submit' && r.t >= srv.t && (r.data as D)['off'] === off)!;
    const done = recs.find((r) => r.kind === 'rq.done' && (r.data as D)['id'] === t.id && r.t >= send.t)!;
    const stage = (name: string) => t.stages.find(([s]) => s === name)?.[1];
    expect(stage('request out (socket, wire, server receive)')).toBe(srv.t - send.t);
    expect(stage('server queue')).toBe(disk.t - srv.t);
    expect(t.points.driverDone).toBe(done.t);
  });

  it('per-op percentiles list the stages in request order, end to end last', () => {
    const p = stagePercentiles(ts);
    const names = Object.keys(p['write']!);
    expect(names[0]).toBe('blk-mq queue');
    expect(names.at(-1)).toBe('end to end');
    expect(names.indexOf('disk')).toBeGreaterThan(names.indexOf('server queue'));
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
