import { NetError } from '../errors.ts';
import type { TcpState } from './state.ts';
import type { Tcb } from './tcb.ts';

/** Per-socket options (setsockopt); unset ones come from the stack's TcpConfig. */
export interface TcpSocketOptions {
  noDelay?: boolean;
  cork?: boolean;
  sndBuf?: number;
  rcvBuf?: number;
  keepAlive?: boolean;
  keepIdleNs?: number;
  keepIntervalNs?: number;
  keepCount?: number;
}

/** A snapshot for stats and tests (like struct tcp_info). */
export interface TcpInfo {
  state: TcpState;
  cwnd: number;
  ssthresh: number;
  srttNs: number;
  rttvarNs: number;
  rtoNs: number;
  sndMss: number;
  sndWnd: number;
  rcvWnd: number;
  inFlight: number;
  unsent: number;
  retransmits: number;
  inRecovery: boolean;
}

/** The connection's tcp_info. */
export function tcpInfo(s: Tcb): TcpInfo {
  return {
    state: s.state,
    cwnd: s.cc.cwnd,
    ssthresh: s.cc.ssthresh,
    srttNs: s.rtt.srttNs,
    rttvarNs: s.rtt.rttvarNs,
    rtoNs: s.rtt.rtoNs,
    sndMss: s.sndMss,
    sndWnd: s.sndWnd,
    rcvWnd: s.rcvq.window,
    inFlight: Math.max(0, s.sndMax - s.sndUna),
    unsent: Math.max(0, s.sndq.end - s.sndNxt),
    retransmits: s.retransmits,
    inRecovery: s.cc.inRecovery,
  };
}

/** Largest offload packet: a multiple of the MSS when the device segments, else one MSS. */
export function segLimit(mss: number, gsoMaxBytes: number): number {
  // An IPv4 packet is at most 65535 bytes: 20 IP + 20 TCP leaves 65495 for payload.
  const cap = Math.min(gsoMaxBytes, 65495);
  return gsoMaxBytes > 0 && cap >= 2 * mss ? Math.floor(cap / mss) * mss : mss;
}

export function positive(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new NetError('EINVAL', `socket option '${what}' must be a positive integer, got ${n}`);
  return n;
}

export function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new NetError('EINVAL', `${what}: port must be 1..65535, got ${p}`);
}
