/**
 * Server roles and failover. A backup server (`role = "backup"`) carries I/O only while no
 * primary server has a usable connection and a healthy verdict (server_failover_enabled); the load balancer asks
 * `allows` for every connection it considers. The failover clock measures each outage as the
 * device saw it: from the first request that failed — sent on a connection that was lost with
 * it in flight, whose server was last heard from at `lastRxAt` — to the next request completed.
 */
import type { Bugs } from '../../../hw-sim/engine/bugs.ts';
import type { Engine } from '../../../hw-sim/engine/engine.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';

export type ServerRole = 'primary' | 'backup';

export class ServerRoles {
  private readonly roles: ServerRole[] = [];
  /** Whether some primary server has a usable connection (recomputed on every connection change). */
  primaryUp = true;

  /** Injected bugs: backups always take I/O (backup-carries-while-primary-up), or never (failover-ignores-backup). */
  private readonly alwaysBackup: boolean;
  private readonly neverBackup: boolean;
  /** Injected failover-ignores-health: an unhealthy primary still counts as up. */
  private readonly healthIgnored: boolean;

  constructor(private readonly failoverEnabled: boolean, bugs: Bugs) {
    this.alwaysBackup = bugs.has('backup-carries-while-primary-up');
    this.neverBackup = bugs.has('failover-ignores-backup');
    this.healthIgnored = bugs.has('failover-ignores-health');
  }

  /** Registers server `index` with its role. */
  set(index: number, role: ServerRole): void {
    this.roles[index] = role;
  }

  roleOf(index: number): ServerRole {
    return this.roles[index] ?? 'primary';
  }

  get anyBackup(): boolean {
    return this.roles.includes('backup');
  }

  /**
   * Recomputes `primaryUp` from the connection table and the health probe's verdicts (after any
   * connection changed phase or a verdict changed): a primary the probe marked unhealthy counts
   * as down, so the backups take over from a server that answers too late.
   */
  update(conns: readonly ConnectionSlot[], removed: (server: number) => boolean, unhealthy: (server: number) => boolean = () => false): void {
    const sick = this.healthIgnored ? () => false : unhealthy;
    this.primaryUp = conns.some((c) => c.usable && this.roleOf(c.server) === 'primary' && !removed(c.server) && !sick(c.server));
  }

  /** May a request go to this connection now? Backups only while every primary is down. */
  allows(c: ConnectionSlot): boolean {
    if (this.roleOf(c.server) === 'primary') return true;
    if (this.alwaysBackup || this.neverBackup) return this.alwaysBackup;
    return this.failoverEnabled && !this.primaryUp;
  }
}

/** The outages the device measured, in ns, each from its first failed request to I/O flowing again. */
export class FailoverClock {
  readonly times: number[] = [];
  private since = -1;

  constructor(private readonly engine: Engine, private readonly src: string) {}

  /** A connection was lost with requests in flight; its server was last heard from at `since`. */
  failed(since: number): void {
    if (this.since < 0 || since < this.since) this.since = since;
  }

  /** Whether an outage is being timed (the request path then reports completions). */
  get pending(): boolean {
    return this.since >= 0;
  }

  /** A request completed successfully at `now`: ends the outage being timed, if any. */
  flowing(now: number): void {
    if (this.since < 0) return;
    const ns = now - this.since;
    this.since = -1;
    this.times.push(ns);
    this.engine.trace.emit(this.src, 'nbd.failover', { ns });
  }

  /** The longest outage measured (undefined: none). */
  get worst(): number | undefined {
    return this.times.length === 0 ? undefined : Math.max(...this.times);
  }
}
