import type { Engine, EventHandle } from '../../hw-sim/engine/index.ts';

/**
 * dead_conn_timeout as Linux means it: the clock runs from the moment the device has no usable
 * connection, not from each request's queue time. Requests wait for a connection while it runs
 * (an outage shorter than it costs no error); when it runs out the waiting requests fail, and
 * so does every new one until a connection is usable again.
 */
export class DeadConnClock {
  /** Virtual time the device lost its last usable connection; -1 while one is usable. */
  since = -1;
  private timer: EventHandle | null = null;
  private readonly fire = (): void => {
    this.timer = null;
    this.runOut();
  };

  constructor(
    private readonly engine: Engine,
    readonly limitNs: number,
    /** The timeout ran out with requests waiting. */
    private readonly runOut: () => void,
  ) {}

  /** Connectivity changed or requests started or stopped waiting. */
  update(usable: boolean, waiting: boolean): void {
    if (usable) {
      this.since = -1;
      this.stop();
      return;
    }
    if (this.since < 0) this.since = this.engine.now;
    if (!waiting) this.stop();
    else if (this.timer === null) this.timer = this.engine.scheduleAt(Math.max(this.engine.now, this.since + this.limitNs), this.fire, 'nbd.dead_conn_timeout');
  }

  /** No usable connection for dead_conn_timeout already. */
  get expired(): boolean {
    return this.since >= 0 && this.engine.now - this.since >= this.limitNs;
  }

  private stop(): void {
    this.engine.cancel(this.timer);
    this.timer = null;
  }
}
