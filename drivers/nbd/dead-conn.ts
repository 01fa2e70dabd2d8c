import type { Engine, EventHandle } from '../../hw-sim/engine/index.ts';

/**
 * dead_conn_timeout as Linux means it: a request waiting for a connection fails when the device
 * has had no usable connection for that long *while it waited*: the clock runs from the later
 * of the moment the last connection was lost and the moment the request began to wait (a
 * requeue starts a wait), never from the request's queue time. An outage shorter than the
 * timeout costs no error; a request arriving late in a long outage still gets the full wait,
 * so a submitter that retries failures at once cannot spin.
 */
export class DeadConnClock {
  /** Virtual time the device lost its last usable connection; -1 while one is usable. */
  since = -1;
  private timer: EventHandle | null = null;
  private readonly fire = (): void => {
    this.timer = null;
    this.runOut();
  };

  /** Injected bug dead-conn-from-queue-time: the clock runs from the time given, ignoring the loss. */
  private readonly fromQueueTime: boolean;

  constructor(
    private readonly engine: Engine,
    readonly limitNs: number,
    /** The timeout ran out with requests waiting. */
    private readonly runOut: () => void,
  ) {
    this.fromQueueTime = engine.bugs.has('dead-conn-from-queue-time');
  }

  /** A deadline is set (requests wait with no usable connection). */
  get armed(): boolean {
    return this.timer !== null;
  }

  /** Connectivity changed or the waiting list did; `oldestWait`: when its oldest request began to wait (-1: none waits). */
  update(usable: boolean, oldestWait: number): void {
    if (usable) {
      this.since = -1;
      this.stop();
      return;
    }
    if (this.since < 0) this.since = this.engine.now;
    this.stop();
    if (oldestWait >= 0) this.timer = this.engine.scheduleAt(Math.max(this.engine.now, this.deadline(oldestWait)), this.fire, 'nbd.dead_conn_timeout');
  }

  /** When a request that began to wait at `waitStart` fails if no connection comes. */
  deadline(waitStart: number): number {
    return (this.fromQueueTime ? waitStart : Math.max(this.since, waitStart)) + this.limitNs;
  }

  /** A request that began to wait at `waitStart` has waited out dead_conn_timeout with no usable connection. */
  expired(waitStart: number): boolean {
    return this.since >= 0 && this.engine.now >= this.deadline(waitStart);
  }

  private stop(): void {
    this.engine.cancel(this.timer);
    this.timer = null;
  }
}
