/**
 * What `run --report` draws, gathered from the trace records as the run emits them: every
 * completed block request (time, latency, op, bytes), requests per NBD connection and per
 * server, statechart states of the NBD devices and their connections, and the timeline's faults.
 * Requests are kept as columns of numbers, so a million requests cost tens of megabytes.
 */
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';

export const REPORT_OPS = ['read', 'write', 'flush', 'trim'] as const;
export type ReportOp = (typeof REPORT_OPS)[number];

/** A growable column of numbers. */
class Column {
  private a = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.length);
  }
}

export interface StateSpan {
  readonly startNs: number;
  readonly state: string;
}

export interface TimelineMark {
  readonly atNs: number;
  readonly label: string;
  /** 'fault' starts trouble, 'heal' ends it, 'mgmt' is a management command. */
  readonly kind: 'fault' | 'heal' | 'mgmt';
}

export interface ConnStats {
  requests: number;
  bytes: number;
  latencies: number[];
}

export class ReportCollector {
  /** Completion time, latency (queue to completion), op index, bytes, error flag: one entry per request. */
  readonly doneNs = new Column();
  readonly latencyNs = new Column();
  readonly op = new Column();
  readonly bytes = new Column();
  readonly failed = new Column();
  /** State changes per machine ("nbd0", "nbd0/conn1"), in time order. */
  readonly states = new Map<string, StateSpan[]>();
  readonly marks: TimelineMark[] = [];
  /** Per NBD connection ("nbd0/conn1"): requests sent, payload bytes, latencies at the driver. */
  readonly conns = new Map<string, ConnStats>();
  /** Per server host: requests it served and their payload bytes. */
  readonly servers = new Map<string, { requests: number; bytes: number }>();
  private readonly queued = new Map<string, number>();
  private readonly sentOn = new Map<string, { conn: string; bytes: number }>();

  /** The onTrace hook. */
  readonly record = (r: TraceRecord): void => {
    const d = r.data ?? {};
    switch (r.kind) {
      case 'rq.queue':
        this.queued.set(`${r.src}#${String(d['rq'])}`, Number(d['sectors'] ?? 0) * 512);
        return;
      case 'rq.complete': {
        const key = `${r.src}#${String(d['rq'])}`;
        const op = REPORT_OPS.indexOf(d['op'] as ReportOp);
        if (op < 0) return;
        this.doneNs.push(r.t);
        this.latencyNs.push(r.t - Number(d['start'] ?? r.t));
        this.op.push(op);
        this.bytes.push(op === 2 ? 0 : this.queued.get(key) ?? 0);
        this.failed.push(Number(d['err'] ?? 0) !== 0 ? 1 : 0);
        this.queued.delete(key);
        return;
      }
      case 'rq.send': {
        const conn = `${r.src}/conn${String(d['conn'])}`;
        const c = this.conn(conn);
        c.requests++;
        c.bytes += Number(d['len'] ?? 0);
        this.sentOn.set(`${r.src}#${String(d['tag'])}`, { conn, bytes: Number(d['len'] ?? 0) });
        return;
      }
      case 'rq.done': {
        const key = `${r.src}#${String(d['tag'])}`;
        const sent = this.sentOn.get(key);
        if (sent && typeof d['lat'] === 'number') this.conn(sent.conn).latencies.push(d['lat']);
        this.sentOn.delete(key);
        return;
      }
      case 'nbd.request': {
        const host = r.src.split('/')[0]!;
        const s = this.servers.get(host) ?? { requests: 0, bytes: 0 };
        s.requests++;
        if (d['cmd'] === 'NBD_CMD_READ' || d['cmd'] === 'NBD_CMD_WRITE') s.bytes += Number(d['length'] ?? 0);
        this.servers.set(host, s);
        return;
      }
      case 'state':
        if (/^nbd\d+(\/conn\d+)?$/.test(r.src)) this.state(r.src, r.t, d['value']);
        return;
      case 'mgmt':
        this.marks.push({ atNs: r.t, label: String(d['argv'] ?? 'mgmt'), kind: 'mgmt' });
        return;
      default:
        if (r.src === 'runner' && r.kind.startsWith('fault.')) {
          const action = r.kind.slice('fault.'.length);
          const heal = action === 'heal' || action === 'link-up' || action === 'restart';
          const target = d['link'] ?? d['server'] ?? d['what'] ?? '';
          this.marks.push({ atNs: r.t, label: heal && typeof d['what'] === 'string' ? d['what'] : `${action} ${String(target)}`.trim(), kind: heal ? 'heal' : 'fault' });
        }
    }
  };

  private conn(name: string): ConnStats {
    let c = this.conns.get(name);
    if (!c) this.conns.set(name, (c = { requests: 0, bytes: 0, latencies: [] }));
    return c;
  }

  private state(machine: string, t: number, value: unknown): void {
    // A nested state ({ handshake: "options" }) is drawn as its top level.
    const name = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? Object.keys(value)[0] ?? '?' : String(value);
    const spans = this.states.get(machine) ?? [];
    if (spans.length > 0 && spans[spans.length - 1]!.state === name) return;
    if (spans.length > 0 && spans[spans.length - 1]!.startNs === t) spans.pop();
    spans.push({ startNs: t, state: name });
    this.states.set(machine, spans);
  }
}
