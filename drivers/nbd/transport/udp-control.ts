/**
 * Loss recovery and congestion control of the UDP transport (docs/nbd-extensions.md, "UDP
 * transport"): a retransmission timeout estimated as RFC 6298 estimates TCP's (the kernel TCP's
 * estimator, sampled only on replies to the attempt last sent), backed off per request, and an
 * AIMD window of datagrams in flight bounded by the socket buffers. Integer nanoseconds throughout.
 */
import type { RttEstimator } from '../../../kernel/net/tcp/rtt.ts';

export interface RtoConfig {
  /** Timeout before the first sample (RFC 6298 says 1 s for the Internet; a LAN transport starts lower). */
  initialNs: number;
  minNs: number;
  maxNs: number;
}

/** Socket receive buffer both ends are assumed to have (Linux's default rmem_max is about this). */
export const UDP_SOCKET_BUFFER = 2 * 1024 * 1024;

export const DEFAULT_RTO: RtoConfig = { initialNs: 10_000_000, minNs: 1_000_000, maxNs: 1_000_000_000 };

/** Timeout of attempt `attempt` (0 = first send): the estimator's RTO doubled per earlier expiry. */
export function timeoutFor(rtt: RttEstimator, cfg: RtoConfig, attempt: number): number {
  return Math.min(cfg.maxNs, rtt.rtoNs * 2 ** Math.min(attempt, 20));
}

export interface WindowConfig {
  initial: number;
  min: number;
  /** Datagrams the smaller socket receive buffer holds. */
  max: number;
}

/**
 * Datagrams in flight (a request's datagrams and those of its expected reply). Additive increase
 * of one datagram per window of clean replies, halving on a timeout (at most once per round trip).
 */
export class AimdWindow {
  cwnd: number;
  inFlight = 0;
  cuts = 0;
  private lastCutAt = -Infinity;

  constructor(readonly cfg: WindowConfig) {
    this.cwnd = Math.min(cfg.initial, cfg.max);
  }

  /** May a request costing `cost` datagrams go now? One always may when nothing is in flight. */
  admits(cost: number): boolean {
    return this.inFlight === 0 || this.inFlight + cost <= this.cwnd;
  }

  onSend(cost: number): void {
    this.inFlight += cost;
  }

  /** A request's reply is in; `clean`: it was never retransmitted. */
  onDone(cost: number, clean: boolean): void {
    this.inFlight -= cost;
    if (clean) this.cwnd = Math.min(this.cfg.max, this.cwnd + cost / this.cwnd);
  }

  /** A timeout: halve, unless a cut happened within the last round trip. */
  onLoss(now: number, srttNs: number): void {
    if (now - this.lastCutAt < srttNs) return;
    this.lastCutAt = now;
    this.cuts++;
    this.cwnd = Math.max(this.cfg.min, this.cwnd / 2);
  }
}
