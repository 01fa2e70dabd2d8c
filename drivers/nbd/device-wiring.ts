import { formatNs, type Engine } from '../../hw-sim/engine/index.ts';
import type { IoPath } from './io-path.ts';
import type { ConnectionManager } from './managers/connection-manager.ts';
import type { ErrorHandler } from './managers/error-handler.ts';
import type { LoadBalancer } from './managers/load-balancer.ts';
import type { PerformanceMonitor } from './managers/performance-monitor.ts';

/** The managers of one device (NbdDevice has them). */
export interface DeviceManagers {
  readonly io: IoPath;
  readonly conns: ConnectionManager;
  readonly errors: ErrorHandler;
  readonly perf: PerformanceMonitor;
  readonly lb: LoadBalancer;
}

/**
 * The managers' wiring: the error handler's decisions are carried out here. (Completions reach
 * the performance monitor and the balancer's latency estimate from IoPath's finish; server
 * health reaches the balancer from the health check: drivers/nbd/health.)
 */
export function wireManagers({ io, conns, errors }: DeviceManagers): void {
  errors.errors$.subscribe((d) => {
    switch (d.action) {
      case 'requeue': io.requeue(d.cmd!); break;
      case 'fail-request': io.fail(d.cmd!, d.errno, d.server); break;
      case 'reconnect': conns.send(d.conn, { type: 'KILL', reason: d.reason }); break;
      case 'disconnect': conns.send(d.conn, { type: 'PROTOCOL_FATAL', reason: d.reason }); break;
      default: break; // escalate: the device chart heard of it (CONN_REFUSED); reset-timer: blk-mq's
    }
  });
}

/**
 * dead_conn_timeout as a silence detector: a connection with requests in flight that has
 * received nothing for that long is declared dead (its requests move to live connections)
 * without waiting for the block layer's longer request timeout. One timer per device, running
 * only while something is in flight; the request path only stamps `lastRxAt`.
 */
export class SilenceWatch {
  constructor(private readonly engine: Engine, private readonly limitNs: number, private readonly m: DeviceManagers) {}

  arm(): void {
    const { engine, limitNs: limit, m } = this;
    m.io.watching = true;
    engine.schedule(Math.max(1, Math.floor(limit / 4)), () => {
      const now = engine.now;
      // Disarmed while it kills: a killed connection's requests requeue at once onto other
      // connections (maybe one this round already passed as idle); those sends arm a new round.
      // Deciding "still busy" before the kills left such requests unwatched: a run stalled.
      const skipsRearm = engine.bugs.has('silence-watch-disarms');
      m.io.watching = skipsRearm;
      let busy = false;
      for (const c of m.conns.slots) {
        if (!c.usable || c.outstanding === 0) continue;
        if (now - c.lastRxAt >= limit) {
          const reason = `silent for ${formatNs(limit)} with ${c.outstanding} request(s) in flight`;
          m.errors.fault('dead-conn', c.index, c.server, 0, reason);
        } else busy = true;
      }
      if (skipsRearm) { if (busy) this.arm(); else m.io.watching = false; return; } // injected: the old order
      if (!m.io.watching && m.conns.slots.some((c) => c.usable && c.outstanding > 0)) this.arm();
    }, 'nbd.silence_watch');
  }
}
