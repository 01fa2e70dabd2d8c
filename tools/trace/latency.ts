/**
 * Where every microsecond of a request went: the trace's records of one block request, from its
 * bio to its completion, across hosts, joined by its request id. The client's blk-mq records and
 * the driver's rq.send / rq.done carry the id (blk-mq's rq id); the NBD cookie the driver sent
 * (generation << 32 | tag) carries it to the server's request and reply records, and the server's
 * disk operation is the one at the request's offset and length between them.
 *
 * Each stage runs from one point of the request to the next point that was seen, so the stages
 * of a request sum exactly to its end-to-end latency (rq.complete: completed − start).
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';

/** The points of a request's life, in order, and the stage that ends at each. */
const POINTS = [
  ['start', ''],
  ['dispatched', 'blk-mq queue'],
  ['sent', 'driver queue'],
  ['serverRx', 'request out (socket, wire, server receive)'],
  ['diskSubmit', 'server queue'],
  ['diskDone', 'disk'],
  ['serverReply', 'server send'],
  ['driverDone', 'reply back (wire, client receive, softirq)'],
  ['completed', 'completion'],
] as const;

type Point = (typeof POINTS)[number][0];

export interface RequestTimeline {
  readonly id: number;
  readonly op: string;
  readonly server?: string;
  readonly offset?: number;
  readonly length?: number;
  readonly points: Partial<Record<Point, number>>;
  /** Stage name → ns; sums to `totalNs`. */
  readonly stages: readonly (readonly [string, number])[];
  readonly totalNs: number;
}

interface Open {
  id: number;
  points: Partial<Record<Point, number>>;
  server?: string;
  off?: number;
  len?: number;
}

type D = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Joins the records of every completed block request into its timeline. */
export function requestTimelines(records: Iterable<TraceRecord>): RequestTimeline[] {
  const open = new Map<number, Open>();
  const byCookie = new Map<string, Open>(); // `${gen}:${tag}` while sent
  const atServer = new Map<string, Open>(); // `${host} ${gen}:${tag}` while at the server
  const diskWait = new Map<string, Open[]>(); // host → requests waiting for their disk op
  const out: RequestTimeline[] = [];
  const get = (id: number): Open => {
    let o = open.get(id);
    if (!o) { o = { id, points: {} }; open.set(id, o); }
    return o;
  };
  for (const r of records) {
    const d = (r.data ?? {}) as D;
    const host = r.src.slice(0, r.src.indexOf('/'));
    switch (r.kind) {
      case 'rq.send': {
        const id = num(d['id']);
        if (id === undefined || id < 0) break;
        const o = get(id);
        o.points.sent = r.t;
        o.off = num(d['off']);
        o.len = num(d['len']);
        byCookie.set(`${String(d['gen'])}:${String(d['tag'])}`, o);
        break;
      }
      case 'nbd.request': {
        const key = `${String(d['cookieHi'])}:${String(d['cookieLo'])}`;
        const o = byCookie.get(key);
        if (!o || o.off !== num(d['offset'])) break;
        byCookie.delete(key);
        o.points.serverRx = r.t;
        o.server = host;
        atServer.set(`${host} ${key}`, o);
        const w = diskWait.get(host) ?? [];
        w.push(o);
        diskWait.set(host, w);
        break;
      }
      case 'disk.submit':
      case 'disk.done': {
        const w = diskWait.get(host);
        const point = r.kind === 'disk.submit' ? 'diskSubmit' : 'diskDone';
        const o = w?.find((x) => x.points[point] === undefined && (point === 'diskSubmit' || x.points.diskSubmit !== undefined) &&
          (d['op'] === 'flush' ? x.len === 0 || x.len === undefined : x.off === num(d['off']) && x.len === num(d['len'])));
        if (o) o.points[point] = r.t;
        break;
      }
      case 'nbd.reply': {
        const key = `${host} ${String(d['cookieHi'])}:${String(d['cookieLo'])}`;
        const o = atServer.get(key);
        if (o) o.points.serverReply = r.t; // a structured reply's last chunk wins
        break;
      }
      case 'rq.done': {
        const id = num(d['id']);
        if (id !== undefined) get(id).points.driverDone = r.t;
        break;
      }
      case 'rq.dispatch':
        break;
      case 'rq.complete': {
        if (!r.src.startsWith('client/blk/')) break;
        const id = num(d['rq'])!;
        const o = get(id);
        open.delete(id);
        for (const w of diskWait.values()) { const i = w.indexOf(o); if (i >= 0) w.splice(i, 1); }
        for (const [k, v] of atServer) if (v === o) atServer.delete(k);
        const start = num(d['start']);
        const completed = num(d['completed']);
        if (start === undefined || completed === undefined) break;
        o.points.start = start;
        o.points.dispatched = num(d['dispatched']) ?? start;
        o.points.completed = completed;
        out.push(timelineOf(o, String(d['op'])));
        break;
      }
    }
  }
  return out;
}

function timelineOf(o: Open, op: string): RequestTimeline {
  const stages: [string, number][] = [];
  let prev = o.points.start!;
  let merged = '';
  for (const [p, stage] of POINTS.slice(1)) {
    const t = o.points[p];
    // A point not seen (a cache hit never reaches a server) folds its stage into the next one.
    merged = merged === '' ? stage : `${merged.split(' … ')[0]} … ${stage}`;
    if (t === undefined) continue;
    stages.push([merged, t - prev]);
    prev = t;
    merged = '';
  }
  return {
    id: o.id, op, ...(o.server ? { server: o.server } : {}), ...(o.off !== undefined ? { offset: o.off, length: o.len ?? 0 } : {}),
    points: o.points, stages, totalNs: o.points.completed! - o.points.start!,
  };
}

const pct = (sorted: readonly number[], q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

/** Per op, per stage: count and p50/p90/p99/max, stages in request order, end-to-end last. */
export function stagePercentiles(ts: readonly RequestTimeline[]): Record<string, Record<string, { count: number; p50: number; p90: number; p99: number; max: number }>> {
  const by: Record<string, Map<string, number[]>> = {};
  for (const t of ts) {
    const m = (by[t.op] ??= new Map());
    for (const [s, ns] of [...t.stages, ['end to end', t.totalNs] as const]) {
      const a = m.get(s) ?? [];
      a.push(ns);
      m.set(s, a);
    }
  }
  const out: Record<string, Record<string, { count: number; p50: number; p90: number; p99: number; max: number }>> = {};
  for (const op of Object.keys(by).sort()) {
    const row: Record<string, { count: number; p50: number; p90: number; p99: number; max: number }> = {};
    const order = [...POINTS.map(([, s]) => s), 'end to end'];
    const names = [...by[op]!.keys()].sort((a, b) => rank(order, a) - rank(order, b));
    for (const s of names) {
      const v = by[op]!.get(s)!.sort((x, y) => x - y);
      row[s] = { count: v.length, p50: pct(v, 0.5), p90: pct(v, 0.9), p99: pct(v, 0.99), max: v[v.length - 1]! };
    }
    out[op] = row;
  }
  return out;
}

function rank(order: readonly string[], stage: string): number {
  const last = stage.split(' … ').pop()!;
  return order.indexOf(last);
}
