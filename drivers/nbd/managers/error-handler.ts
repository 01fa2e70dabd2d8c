import { Subject } from 'rxjs';
import type { Engine } from '../../../hw-sim/engine/index.ts';
import { ESHUTDOWN } from '../../../kernel/lib/errno.ts';
import type { NbdCmd } from '../request.ts';

/** Failure classes. */
export type ErrorClass = 'transport' | 'protocol' | 'nbd-errno' | 'timeout' | 'dead-conn' | 'handshake' | 'permission';
/** What was done about it. */
export type ErrorAction = 'requeue' | 'fail-request' | 'reconnect' | 'disconnect' | 'escalate' | 'reset-timer';

/** A failure as the request path or a connection saw it, before anything is done about it. */
export interface Fault {
  class: ErrorClass;
  conn: number;
  server: number;
  /** The errno the request fails with if it fails (0 when none applies). */
  errno: number;
  reason: string;
  /** Tag of the request concerned (-1: a connection-level failure). */
  tag: number;
  /** The command concerned (null: a connection-level failure). */
  cmd: NbdCmd | null;
}

/** What the handler decided about a fault: the driver carries it out (device.ts). */
export interface ErrorRecord {
  t: number;
  class: ErrorClass;
  action: ErrorAction;
  conn: number;
  server: number;
  /** Errno given to the block layer, when a request failed. */
  errno: number;
  reason: string;
  /** Tag of the request concerned (-1: a connection-level failure). */
  tag: number;
}

export interface ErrorDecision extends ErrorRecord {
  readonly cmd: NbdCmd | null;
}

/**
 * Decides what is done about each failure: faults come in on `faults$`, decisions go out on
 * `errors$` (and in the trace), where the device carries them out: requeue a request on another
 * connection, fail it, reconnect or hard-disconnect a connection, escalate to the device chart.
 */
export class ErrorHandler {
  readonly faults$ = new Subject<Fault>();
  readonly errors$ = new Subject<ErrorDecision>();
  readonly counts: Record<ErrorClass, number> = {
    transport: 0, protocol: 0, 'nbd-errno': 0, timeout: 0, 'dead-conn': 0, handshake: 0, permission: 0,
  };
  requeued = 0;
  failed = 0;

  constructor(private readonly engine: Engine, private readonly src: string, readonly maxRequeues: number) {
    this.faults$.subscribe((f) => this.decide(f));
  }

  /** Reports a fault (shorthand for faults$.next). */
  fault(cls: ErrorClass, conn: number, server: number, errno: number, reason: string, tag = -1, cmd: NbdCmd | null = null): void {
    this.faults$.next({ class: cls, conn, server, errno, reason, tag, cmd });
  }

  /** The policy: what each class of failure leads to. */
  actionFor(f: Fault): ErrorAction {
    switch (f.class) {
      // The connection died under the request: it goes again elsewhere, within its budget.
      case 'transport': return f.cmd && this.mayRequeue(f.cmd.retries) ? 'requeue' : 'fail-request';
      // ESHUTDOWN is the server leaving, not a failure of the data: send it elsewhere.
      case 'nbd-errno': return f.cmd && f.errno === ESHUTDOWN && this.mayRequeue(f.cmd.retries) ? 'requeue' : 'fail-request';
      case 'permission': return 'fail-request';
      case 'timeout': return 'reconnect';
      // A request that waited dead_conn_timeout for a connection fails; a silent connection is replaced.
      case 'dead-conn': return f.cmd ? 'fail-request' : 'reconnect';
      case 'protocol': return 'disconnect';
      case 'handshake': return 'escalate';
    }
  }

  private decide(f: Fault): void {
    const action = this.actionFor(f);
    this.counts[f.class]++;
    if (action === 'requeue') this.requeued++;
    if (action === 'fail-request') this.failed++;
    const errno = action === 'requeue' ? 0 : f.errno;
    const t = this.engine.now;
    this.engine.trace.emit(this.src, 'error', { t, class: f.class, action, conn: f.conn, server: f.server, errno, reason: f.reason, tag: f.tag });
    this.errors$.next({ t, class: f.class, action, conn: f.conn, server: f.server, errno, reason: f.reason, tag: f.tag, cmd: f.cmd });
  }

  /** A request may go again unless it has already been requeued too often. */
  mayRequeue(retries: number): boolean {
    return retries < this.maxRequeues;
  }
}
