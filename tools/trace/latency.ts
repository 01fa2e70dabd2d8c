/**
 * Where every microsecond of a request went: the trace's records of one block request, from its
 * bio to its completion, across hosts, joined by its request id (blk-mq's rq id). The client's
 * blk-mq records and the driver's rq.send / rq.done carry it as `rq` / `id`; the server's request
 * and reply records, its disk operations (`rid`) and every packet carrying the request's bytes
 * (`rids` on nic.tx, frame, nic.rx) carry it too: the driver files it with the cookie and marks
 * its bytes in the socket (trace context, never on the wire).
 *
 * Each stage runs from one point of the request to the next point that was seen; a point earlier
 * than the one before it (a WRITE's header is parsed before its payload's last packet arrives)
 * counts from that one, so stages are never negative and a request's stages sum exactly to its
 * end-to-end latency (rq.complete: completed − start).
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';

/** The points of a request's life, in order, and the stage that ends at each. */
export const POINTS = [
  ['start', ''],
  ['dispatched', 'blk-mq queue'], // blk-mq dispatch to the driver (queue_rq)
  ['sent', 'driver queue'], // the driver hands the request to its socket (rq.send)
  ['reqTx', 'socket send queue'], // the request's last packet left the client's NIC (nic.tx)
  ['reqRx', 'wire out'], // ... and reached the server's NIC ring (nic.rx)
  ['serverRx', 'server receive'], // the server program parsed the request (nbd.request)
  ['diskSubmit', 'server queue'], // its disk operation was submitted (disk.submit)
  ['diskDone', 'disk'], // ... and completed (disk.done)
  ['replyTx', 'server send'], // the reply's last packet left the server's NIC
  ['replyRx', 'wire back'], // ... and reached the client's NIC ring
  ['driverDone', 'client receive/softirq'], // the driver completed the request by cookie (rq.done)
  ['completed', 'completion'], // blk-mq completion seen by the submitter
] as const;

export type Point = (typeof POINTS)[number][0] | 'serverReply';

/** Stages spent on the server host. */
export const SERVER_STAGES: ReadonlySet<string> = new Set(['server receive', 'server queue', 'disk', 'server send']);

export interface RequestTimeline {
  readonly id: number;
  readonly op: string;
  readonly server?: string;
  readonly offset?: number;
  readonly length?: number;
  /** Point → virtual time (ns); `serverReply` (nbd.reply) is shown but ends no stage. */
  readonly points: Partial<Record<Point, number>>;
  /** Stage name → ns, in request order; sums to `totalNs`. A missing point joins two names with ' … '. */
  readonly stages: readonly (readonly [string, number])[];
  readonly totalNs: number;
}

interface Open {
  id: number;
  op?: string;
  points: Partial<Record<Point, number>>;
  client?: string;
  server?: string;
  off?: number;
  len?: number;
}

type D = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
/** The points a new send of the request starts over (a requeue after a connection loss). */
const NETWORK: readonly Point[] = ['reqTx', 'reqRx', 'serverRx', 'diskSubmit', 'diskDone', 'serverReply', 'replyTx', 'replyRx', 'driverDone'];

/** Joins the records of every completed block request into its timeline. */
export function requestTimelines(records: Iterable<TraceRecord>): RequestTimeline[] {
  return join(records).done;
}

/**
 * One request's timeline from the records so far: complete once it has completed, else up to its
 * last point seen (`totalNs` then runs from its queueing to that point). Undefined: never queued.
 */
export function requestSoFar(records: Iterable<TraceRecord>, id: number): (RequestTimeline & { readonly complete: boolean }) | undefined {
  const { done, open } = join(records);
  const end = done.findLast((x) => x.id === id);
  if (end) return { ...end, complete: true };
  const o = open.get(id);
  if (!o || o.points.start === undefined) return undefined;
  const t = timelineOf(o, o.op ?? '?');
  return { ...t, totalNs: t.stages.reduce((n, [, ns]) => n + ns, 0), complete: false };
}

function join(records: Iterable<TraceRecord>): { done: RequestTimeline[]; open: Map<number, Open> } {
  const open = new Map<number, Open>();
  const out: RequestTimeline[] = [];
  const get = (id: number): Open => {
    let o = open.get(id);
    if (!o) { o = { id, points: {} }; open.set(id, o); }
    return o;
  };
  const find = (id: unknown): Open | undefined => (typeof id === 'number' && id >= 0 ? open.get(id) : undefined);
  for (const r of records) {
    const d = (r.data ?? {}) as D;
    const host = r.src.slice(0, r.src.indexOf('/'));
    switch (r.kind) {
      case 'rq.queue':
        if (r.src.includes('/blk/')) {
          const id = num(d['rq'])!;
          open.delete(id); // ids are unique over the kernel's queues and never reused; a fresh record all the same
          const o = get(id);
          o.client = host;
          o.op = String(d['op']);
          o.points.start = r.t;
        }
        break;
      case 'rq.dispatch': {
        const o = r.src.includes('/blk/') ? find(d['rq']) : undefined;
        if (o) o.points.dispatched = r.t;
        break;
      }
      case 'rq.send': {
        const o = find(d['id']);
        if (!o) break;
        for (const p of NETWORK) delete o.points[p];
        o.points.sent = r.t;
        o.off = num(d['off']);
        o.len = num(d['len']);
        break;
      }
      case 'nic.tx':
      case 'nic.rx': {
        const rids = d['rids'];
        if (!Array.isArray(rids) || d['dropped'] === true) break;
        for (const id of rids) {
          const o = find(id);
          if (!o || o.points.sent === undefined) continue;
          const atClient = host === o.client;
          const outbound = atClient === (r.kind === 'nic.tx'); // client → server
          if (outbound && o.points.diskSubmit === undefined && o.points.serverReply === undefined) o.points[r.kind === 'nic.tx' ? 'reqTx' : 'reqRx'] = r.t;
          else if (!outbound && o.points.serverRx !== undefined && o.points.driverDone === undefined) o.points[r.kind === 'nic.tx' ? 'replyTx' : 'replyRx'] = r.t;
        }
        break;
      }
      case 'nbd.request': {
        const o = find(d['rid']);
        if (!o) break;
        o.points.serverRx = r.t;
        o.server = host;
        break;
      }
      case 'disk.submit':
      case 'disk.done': {
        const o = find(d['rid']);
        if (o) o.points[r.kind === 'disk.submit' ? 'diskSubmit' : 'diskDone'] = r.t;
        break;
      }
      case 'nbd.reply': {
        const o = find(d['rid']);
        if (o) o.points.serverReply = r.t; // a structured reply's last chunk wins
        break;
      }
      case 'rq.done': {
        const o = find(d['id']);
        if (o) o.points.driverDone = r.t;
        break;
      }
      case 'rq.complete': {
        if (!r.src.includes('/blk/')) break;
        const id = num(d['rq'])!;
        const o = get(id);
        open.delete(id);
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
  return { done: out, open };
}

function timelineOf(o: Open, op: string): RequestTimeline {
  const stages: [string, number][] = [];
  let prev = o.points.start!;
  let merged = '';
  for (const [p, stage] of POINTS.slice(1)) {
    const t = o.points[p];
    // A point not seen (a cache hit never reaches a server) folds its stage into the next one;
    // a request still in flight ends at its last point seen.
    merged = merged === '' ? stage : `${merged.split(' … ')[0]} … ${stage}`;
    if (t === undefined) continue;
    const at = Math.max(t, prev);
    stages.push([merged, at - prev]);
    prev = at;
    merged = '';
  }
  return {
    id: o.id, op, ...(o.server ? { server: o.server } : {}), ...(o.off !== undefined ? { offset: o.off, length: o.len ?? 0 } : {}),
    points: o.points, stages, totalNs: (o.points.completed ?? prev) - o.points.start!,
  };
}

/** The last stage named in a (possibly merged) stage name. */
export const lastStage = (name: string): string => name.split(' … ').pop()!;

const pct = (sorted: readonly number[], q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

export interface StageStats { count: number; p50: number; p90: number; p99: number; max: number }

/** Per op, per stage: count and p50/p90/p99/max, stages in request order, end-to-end last. */
export function stagePercentiles(ts: readonly RequestTimeline[]): Record<string, Record<string, StageStats>> {
  const by: Record<string, Map<string, number[]>> = {};
  for (const t of ts) {
    const m = (by[t.op] ??= new Map());
    for (const [s, ns] of [...t.stages, ['end to end', t.totalNs] as const]) {
      const a = m.get(s) ?? [];
      a.push(ns);
      m.set(s, a);
    }
  }
  const out: Record<string, Record<string, StageStats>> = {};
  const order: string[] = [...POINTS.map(([, s]) => s), 'end to end'];
  for (const op of Object.keys(by).sort()) {
    const row: Record<string, StageStats> = {};
    const names = [...by[op]!.keys()].sort((a, b) => order.indexOf(lastStage(a)) - order.indexOf(lastStage(b)));
    for (const s of names) {
      const v = by[op]!.get(s)!.sort((x, y) => x - y);
      row[s] = { count: v.length, p50: pct(v, 0.5), p90: pct(v, 0.9), p99: pct(v, 0.99), max: v[v.length - 1]! };
    }
    out[op] = row;
  }
  return out;
}
