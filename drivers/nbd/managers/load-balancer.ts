import type { ConnectionSlot } from './connection-slot.ts';
import type { NbdRequest } from '../protocol/request-check.ts';

/** The connection can take `req` now (no request given: any request). */
const fits = (c: ConnectionSlot, req: Pick<NbdRequest, 'type' | 'offset' | 'length'> | undefined): boolean => (req === undefined ? c.canSend : c.canTake(req));

/** Whether requests may go to a connection (server roles, a mirror's readable replicas). */
export interface ConnectionGate {
  allows(c: ConnectionSlot): boolean;
}

/** Both gates allow the connection. */
export class BothGates implements ConnectionGate {
  constructor(private readonly a: ConnectionGate, private readonly b: ConnectionGate) {}

  allows(c: ConnectionSlot): boolean {
    return this.a.allows(c) && this.b.allows(c);
  }
}

/** Connection-choice policies. */
export type LbPolicy = 'single' | 'round-robin' | 'least-outstanding' | 'latency-weighted';
export const LB_POLICIES: readonly LbPolicy[] = ['single', 'round-robin', 'least-outstanding', 'latency-weighted'];

export interface ServerHealth {
  server: number;
  healthy: boolean;
  live: number;
  reason: string;
}

/**
 * Chooses the connection for each request. 'single' sticks to the lowest usable connection (of
 * the first server that has one: failover moves it); 'round-robin' rotates over usable
 * connections; 'least-outstanding' takes the one with fewest requests in flight (ties rotate);
 * 'latency-weighted' weighs that count by each connection's smoothed latency.
 */
export class LoadBalancer {
  policy: LbPolicy;
  /** The last health check's verdict per server (server_health_check_interval). */
  readonly health: ServerHealth[] = [];
  /**
   * Servers the health probe marked unhealthy, avoided while a healthy server has a usable
   * connection (the device keeps this set: drivers/nbd/health/probe.ts).
   */
  readonly avoided = new Set<number>();
  private cursor = 0;
  decisionsMade = 0;
  /** Per-connection choice counts, for nbd-load-balancer-info. */
  readonly picks: number[] = [];
  /** Per-connection smoothed latency (EWMA, ns), for latency-weighted. */
  readonly latency: number[] = [];

  /** A request on `conn` completed after `ns`: folds it into the smoothed latency (weight 1/8, like TCP's SRTT). */
  observe(conn: number, ns: number): void {
    const prev = this.latency[conn];
    this.latency[conn] = prev === undefined ? ns : prev + (ns - prev) / 8;
  }

  /** failover_enabled: with 'single', may requests move off the primary server when it has no usable connection? */
  failover = true;
  /** Server index 'single' prefers (the first configured). */
  primary = 0;

  constructor(policy: LbPolicy) {
    this.policy = policy;
  }

  /** Whether requests may go to this connection at all under the policy (failover off pins 'single' to the primary). */
  allowed(c: ConnectionSlot): boolean {
    if (this.avoided.size > 0 && this.avoided.has(c.server)) return false;
    if (this.gate !== null && !this.gate.allows(c)) return false;
    return this.failover || this.policy !== 'single' || c.server === this.primary;
  }

  /**
   * Server roles (drivers/nbd/health/failover.ts): a backup's connections only while every
   * primary is down. An object, not a closure: optimised pick() would embed a per-device
   * closure and be thrown away when the device's world dies.
   */
  gate: ConnectionGate | null = null;

  /** Index of the connection to use, or -1 when none can take a request (`req`, when given) now. */
  pick(conns: readonly ConnectionSlot[], _tag: number, _now: number, req?: Pick<NbdRequest, 'type' | 'offset' | 'length'>): number {
    const n = conns.length;
    let chosen = -1;
    if (this.policy === 'single') {
      for (let i = 0; i < n; i++) {
        const c = conns[i]!;
        if (!this.allowed(c)) continue;
        if (fits(c, req)) { chosen = i; break; }
      }
    } else if (this.policy === 'least-outstanding' || this.policy === 'latency-weighted') {
      // Least outstanding; latency-weighted scales it by the connection's smoothed latency,
      // so a slow server gets proportionally fewer requests.
      const weighted = this.policy === 'latency-weighted';
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < n; k++) {
        const i = (this.cursor + k) % n;
        const c = conns[i]!;
        if (!fits(c, req) || !this.allowed(c)) continue;
        const cost = weighted ? (c.outstanding + 1) * (this.latency[i] ?? 0) : c.outstanding;
        if (cost < best) { best = cost; chosen = i; }
      }
      if (chosen >= 0) this.cursor = chosen + 1;
    } else {
      for (let k = 0; k < n; k++) {
        const i = (this.cursor + k) % n;
        const c = conns[i]!;
        if (fits(c, req) && this.allowed(c)) { chosen = i; this.cursor = i + 1; break; }
      }
    }
    if (chosen < 0) return -1;
    this.decisionsMade++;
    this.picks[chosen] = (this.picks[chosen] ?? 0) + 1;
    return chosen;
  }

  reportHealth(h: ServerHealth): void {
    this.health[h.server] = h;
  }
}
