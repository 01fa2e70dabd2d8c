/**
 * Errors keep their kind, checked online from the trace by request id: when the server's disk
 * failed a block request's operation (disk.done with an error and the request's `rid`) and the
 * request then fails at the client, it fails with that error: ENOSPC as ENOSPC, EIO as EIO, not
 * any other errno. A request sent again after the failure (requeued on another connection) starts
 * over. Needs the trace (request ids on server records), so it runs only with the trace on.
 */
import type { TraceBus, TraceRecord } from '../../hw-sim/engine/trace.ts';
import { TraceGate } from './trace-gate.ts';
import { errnoName, errnoOf } from '../../kernel/lib/errno.ts';
import type { Ns } from '../schema/types.ts';

export interface ErrorKindReport {
  readonly ok: boolean;
  /** Requests failed by their disk and completed at the client with an error. */
  readonly checked: number;
  readonly violations: readonly { readonly atNs: Ns; readonly message: string }[];
}

const KEEP = 20;

export class ErrorKindChecker {
  /** Block request id → the error its disk operation last failed with, and whether the reply reached the client. */
  private readonly diskError = new Map<number, { err: string; replied: boolean; delivered: boolean }>();
  /** Block request id → its client host (from rq.queue), unless every request has the one client host attach named. */
  private readonly client = new Map<number, string>();
  private clientHost: string | undefined;
  private checked = 0;
  private readonly violations: { atNs: Ns; message: string }[] = [];
  private count = 0;
  private gate: TraceGate | null = null;

  /**
   * Reads the bus, where every block request comes from `clientHost`: disk completions always;
   * replies, packets, sends and completions only while a disk error is open.
   */
  attach(bus: TraceBus, clientHost: string): void {
    this.clientHost = clientHost;
    // A disk completion matters only with an error (read below); most have none.
    this.gate = new TraceGate(bus, this.onRecord, ['disk.done'], ['nbd.reply', 'nic.rx', 'rq.send', 'rq.complete'],
      { 'disk.done': ['err', (v) => typeof v === 'string'] });
  }

  /** Feed every trace record, in order (attach does, with the kinds that can matter). */
  readonly onRecord = (r: TraceRecord): void => {
    this.read(r);
    this.gate?.set(this.diskError.size > 0);
  };

  private read(r: TraceRecord): void {
    const d = r.data as Record<string, unknown> | undefined;
    if (d === undefined) return;
    switch (r.kind) {
      case 'rq.queue':
        if (r.src.includes('/blk/') && typeof d['rq'] === 'number') this.client.set(d['rq'], r.src.slice(0, r.src.indexOf('/')));
        break;
      case 'disk.done':
        if (typeof d['rid'] === 'number' && typeof d['err'] === 'string') this.diskError.set(d['rid'], { err: d['err'], replied: false, delivered: false });
        break;
      case 'nbd.reply': {
        const e = typeof d['rid'] === 'number' ? this.diskError.get(d['rid']) : undefined;
        if (e) e.replied = true;
        break;
      }
      case 'nic.rx': {
        // The error reply reached the client (a request whose reply was lost fails for that reason instead).
        const rids = d['rids'];
        if (!Array.isArray(rids)) break;
        for (const id of rids) {
          const e = this.diskError.get(id as number);
          if (e?.replied && (this.clientHost ?? this.client.get(id as number)) === r.src.slice(0, r.src.indexOf('/'))) e.delivered = true;
        }
        break;
      }
      case 'rq.send':
        if (typeof d['id'] === 'number') this.diskError.delete(d['id']);
        break;
      case 'rq.complete': {
        if (!r.src.includes('/blk/') || typeof d['rq'] !== 'number') break;
        const e = this.diskError.get(d['rq']);
        this.diskError.delete(d['rq']);
        this.client.delete(d['rq']);
        const err = d['err'];
        if (e === undefined || !e.delivered || typeof err !== 'number' || err === 0) break;
        const disk = e.err;
        this.checked++;
        if (err === errnoOf(disk)) break;
        this.count++;
        if (this.violations.length < KEEP) {
          this.violations.push({ atNs: r.t, message: `request ${d['rq']} (${String(d['op'])}): its disk failed it with ${disk}, the job saw ${errnoName(err)}` });
        }
        break;
      }
    }
  }

  /** Whether any request was failed by its disk (the check has something to say). */
  get seen(): boolean {
    return this.checked > 0;
  }

  report(): ErrorKindReport {
    return { ok: this.count === 0, checked: this.checked, violations: this.violations };
  }
}
