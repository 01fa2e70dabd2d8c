import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { TraceHeader } from './format.ts';
import { lastStage, requestTimelines, SERVER_STAGES, type RequestTimeline } from './latency.ts';

/** One Chrome trace-event (the JSON format ui.perfetto.dev and chrome://tracing open). */
export interface ChromeEvent {
  name: string;
  ph: 'M' | 'i' | 'b' | 'e' | 'n' | 'B' | 'E' | 'X' | 's' | 't' | 'f';
  ts?: number;
  dur?: number;
  /** Flow end binds to the enclosing slice ('e'). */
  bp?: 'e';
  pid: number;
  tid?: number;
  cat?: string;
  id?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns';
  metadata: Record<string, unknown>;
}

/** Where a request's lifecycle begins and ends (kernel/block emits rq.queue … rq.complete). */
const RQ_BEGIN = new Set(['rq.queue', 'rq.submit', 'bio.submit']);
const RQ_END = new Set(['rq.complete', 'rq.end', 'rq.fail', 'bio.complete']);

const DRIVER_DEVICE = /^nbd[0-9]+$/;
const CLIENT = 'client';

/** ns → µs, the unit of `ts`; kept fractional so ns ordering survives. */
const us = (t: number): number => t / 1000;

/**
 * Converts trace records to Chrome trace JSON: a process per host (the first segment of `src`,
 * e.g. `client` in `client/nic0`; driver sources `nbdN/...` belong to the client), a thread per
 * device or connection (the rest of `src`),
 * every record an instant event on its thread, every statechart `state` record a slice that
 * lasts until the machine's next state, and every request (rq.queue … rq.complete, keyed by
 * src and `data.rq`) an async slice with its intermediate rq.* records as steps.
 */
export function toChromeTrace(header: TraceHeader | undefined, records: Iterable<TraceRecord>): ChromeTrace {
  const events: ChromeEvent[] = [];
  const pids = new Map<string, number>();
  const tids = new Map<string, { pid: number; tid: number }>();
  const openState = new Set<string>();
  const openRq = new Map<string, string>();

  const track = (src: string): { pid: number; tid: number } => {
    const known = tids.get(src);
    if (known) return known;
    const slash = src.indexOf('/');
    let host = slash < 0 ? src : src.slice(0, slash);
    let thread = slash < 0 ? '(host)' : src.slice(slash + 1);
    // The NBD driver's devices (nbd0/conn1, ...) live on the client but name no host.
    if (DRIVER_DEVICE.test(host)) {
      host = CLIENT;
      thread = src;
    }
    let pid = pids.get(host);
    if (pid === undefined) {
      pid = pids.size + 1;
      pids.set(host, pid);
      events.push({ name: 'process_name', ph: 'M', pid, args: { name: host } });
    }
    const t = { pid, tid: tids.size + 1 };
    tids.set(src, t);
    events.push({ name: 'thread_name', ph: 'M', pid, tid: t.tid, args: { name: thread } });
    return t;
  };

  let lastT = 0;
  const list = Array.isArray(records) ? (records as readonly TraceRecord[]) : [...records];
  for (const r of list) {
    const { pid, tid } = track(r.src);
    const ts = us(r.t);
    lastT = r.t;
    const args = { seq: r.seq, ...(r.data ?? {}) };
    if (r.kind === 'state') {
      if (openState.has(r.src)) events.push({ name: 'state', ph: 'E', ts, pid, tid });
      const value = r.data?.['value'];
      events.push({ name: typeof value === 'string' ? value : JSON.stringify(value), ph: 'B', ts, pid, tid, cat: 'state', args });
      openState.add(r.src);
      continue;
    }
    events.push({ name: r.kind, ph: 'i', s: 't', ts, pid, tid, cat: r.kind.split('.')[0]!, args });
    const rq = r.data?.['rq'];
    if (!r.kind.startsWith('rq.') && !r.kind.startsWith('bio.')) continue;
    if (typeof rq !== 'number' && typeof rq !== 'string') continue;
    const id = `${r.src}#${rq}`;
    if (RQ_BEGIN.has(r.kind)) {
      const op = r.data?.['op'];
      const name = `${typeof op === 'string' ? op : 'rq'} ${rq}`;
      openRq.set(id, name);
      events.push({ name, ph: 'b', ts, pid, tid, cat: 'request', id, args });
    } else if (openRq.has(id)) {
      const name = openRq.get(id)!;
      if (RQ_END.has(r.kind)) {
        events.push({ name, ph: 'e', ts, pid, tid, cat: 'request', id, args });
        openRq.delete(id);
      } else {
        events.push({ name: r.kind, ph: 'n', ts, pid, tid, cat: 'request', id, args });
      }
    }
  }
  // Close what is still open at the end of the trace, so every slice has an end.
  const end = us(lastT);
  for (const src of openState) {
    const { pid, tid } = tids.get(src)!;
    events.push({ name: 'state', ph: 'E', ts: end, pid, tid });
  }
  for (const [id, name] of openRq) {
    const { pid, tid } = tids.get(id.slice(0, id.lastIndexOf('#')))!;
    events.push({ name, ph: 'e', ts: end, pid, tid, cat: 'request', id, args: { unfinished: true } });
  }
  requestFlows(requestTimelines(list), track, events);
  return { traceEvents: events, displayTimeUnit: 'ns', metadata: header ? { ...header } : {} };
}

/**
 * Each request's stages as slices on `requests` lanes of the host that spent them (a lane per
 * request in flight there, so slices nest), joined by flow arrows client → server → client.
 */
function requestFlows(ts: readonly RequestTimeline[], track: (src: string) => { pid: number; tid: number }, events: ChromeEvent[]): void {
  const lanes = new Map<string, number[]>(); // host → busy-until per lane
  const lane = (host: string, from: number, to: number): { pid: number; tid: number } => {
    const busy = lanes.get(host) ?? [];
    lanes.set(host, busy);
    let i = busy.findIndex((until) => until <= from);
    if (i < 0) { i = busy.length; busy.push(0); }
    busy[i] = to;
    return track(`${host}/requests ${i}`);
  };
  for (const t of ts) {
    const start = t.points.start!;
    const client = lane(CLIENT, start, t.points.completed!);
    const srvFrom = t.points.reqRx ?? t.points.serverRx;
    const srvTo = t.points.replyTx ?? t.points.serverReply ?? t.points.diskDone ?? srvFrom;
    const server = t.server && srvFrom !== undefined && srvTo !== undefined ? lane(t.server, srvFrom, srvTo) : undefined;
    let at = start;
    const name = `${t.op} ${t.id}`;
    const flow = (ph: 's' | 't' | 'f', where: { pid: number; tid: number }, ts: number): void => {
      events.push({ name, ph, ts: us(ts), ...where, cat: 'request-flow', id: String(t.id), ...(ph === 'f' ? { bp: 'e' as const } : {}) });
    };
    // Arrows: leaving the client (wire out), arriving at the server, arriving back at the client.
    let sent = false;
    let served = false;
    for (const [stage, ns] of t.stages) {
      const last = lastStage(stage);
      const where = server && SERVER_STAGES.has(last) ? server : client;
      events.push({ name: stage, ph: 'X', ts: us(at), dur: us(ns), ...where, cat: 'request-stage', args: { request: t.id, op: t.op, ns } });
      if (server && !sent && last === 'wire out') { flow('s', client, at); sent = true; }
      else if (server && sent && !served && where === server) { flow('t', server, at); served = true; }
      else if (server && served && where === client) { flow('f', client, at); served = false; }
      at += ns;
    }
  }
}
