import { Subject } from 'rxjs';
import type { Engine } from '../../../hw-sim/engine/index.ts';
import { EINVAL, EIO, ENOMEM, ENOSPC, EOPNOTSUPP, EOVERFLOW, EPERM, ESHUTDOWN } from '../../../kernel/lib/errno.ts';

/** Failure classes. */
export type ErrorClass = 'transport' | 'protocol' | 'nbd-errno' | 'timeout' | 'dead-conn' | 'handshake' | 'permission';
/** What was done about it. */
export type ErrorAction = 'requeue' | 'fail-request' | 'reconnect' | 'disconnect' | 'escalate' | 'reset-timer';

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

/** NBD error values are Linux errno values (proto.md "Error values"); unknown ones become EIO. */
export function errnoOfNbd(nbdError: number): number {
  switch (nbdError) {
    case EPERM: case EIO: case ENOMEM: case EINVAL: case ENOSPC:
    case EOVERFLOW: case EOPNOTSUPP: case ESHUTDOWN:
      return nbdError;
    default:
      return EIO;
  }
}

/**
 * Classifies failures, decides what is safe to retry, counts them and reports them on `errors$`
 * and in the trace. The driver carries the decisions out (requeue, fail, escalate).
 */
export class ErrorHandler {
  readonly errors$ = new Subject<ErrorRecord>();
  readonly counts: Record<ErrorClass, number> = {
    transport: 0, protocol: 0, 'nbd-errno': 0, timeout: 0, 'dead-conn': 0, handshake: 0, permission: 0,
  };
  requeued = 0;
  failed = 0;

  constructor(private readonly engine: Engine, private readonly src: string, readonly maxRequeues: number) {}

  report(cls: ErrorClass, action: ErrorAction, conn: number, server: number, errno: number, reason: string, tag = -1): void {
    this.counts[cls]++;
    if (action === 'requeue') this.requeued++;
    if (action === 'fail-request') this.failed++;
    const rec: ErrorRecord = { t: this.engine.now, class: cls, action, conn, server, errno, reason, tag };
    this.engine.trace.emit(this.src, 'error', rec as unknown as Record<string, unknown>);
    this.errors$.next(rec);
  }

  /** A request whose connection died may go again unless it has already been requeued too often. */
  mayRequeue(retries: number): boolean {
    return retries < this.maxRequeues;
  }

  /** ESHUTDOWN is the server leaving, not a failure of the data: send it elsewhere. */
  retryableReply(errno: number): boolean {
    return errno === ESHUTDOWN;
  }
}
