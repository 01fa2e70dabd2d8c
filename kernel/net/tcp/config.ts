import { NS_PER_MS, NS_PER_S } from '../../../hw-sim/engine/index.ts';

/** Tunables of the TCP implementation, per stack (sysctl-like); sockets copy them at creation. */
export interface TcpConfig {
  /** Send and receive buffer sizes in bytes (SO_SNDBUF / SO_RCVBUF). */
  sndBuf: number;
  rcvBuf: number;
  /** Initial congestion window in segments (RFC 6928). */
  initCwndSegs: number;
  initialRtoNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  /** Delayed-ACK timeout; 0 acknowledges every segment at once. */
  delayedAckNs: number;
  /** SYN retransmissions before ETIMEDOUT (tcp_syn_retries). */
  synRetries: number;
  /** Data retransmissions before ETIMEDOUT (tcp_retries2). */
  retries: number;
  timeWaitNs: number;
  keepIdleNs: number;
  keepIntervalNs: number;
  keepCount: number;
  /** Listen backlog when listen() is given none. */
  backlog: number;
  /**
   * TCP small queues (tcp_limit_output_bytes): payload bytes a socket may have queued in the
   * qdisc and the NIC ring before it waits for tx completions. Only with devices that report them.
   */
  tsqBytes: number;
  /**
   * net.ipv4.tcp_autocorking: hold a small send back while the socket has packets in the device
   * and send it at the next tx completion (autocork.ts). Only with devices that report completions.
   */
  autocorking: boolean;
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = {
  sndBuf: 1 << 20,
  rcvBuf: 1 << 20,
  initCwndSegs: 10,
  initialRtoNs: NS_PER_S,
  minRtoNs: 200 * NS_PER_MS,
  maxRtoNs: 120 * NS_PER_S,
  delayedAckNs: 40 * NS_PER_MS,
  synRetries: 6,
  retries: 15,
  timeWaitNs: 60 * NS_PER_S,
  keepIdleNs: 7200 * NS_PER_S,
  keepIntervalNs: 75 * NS_PER_S,
  keepCount: 9,
  backlog: 128,
  tsqBytes: 256 * 1024,
  autocorking: true,
};

/** Merges overrides onto the defaults and rejects nonsense with the key that is wrong. */
export function resolveTcpConfig(over: Partial<TcpConfig> | undefined): TcpConfig {
  // Object.assign, not spread: a spread's map depends on the state of its clone IC, so the configs
  // of later worlds got other maps and optimised readers (tcpPush, receiveData) deoptimised.
  const c: TcpConfig = Object.assign({}, DEFAULT_TCP_CONFIG, over);
  for (const [k, v] of Object.entries(c)) {
    if (k === 'autocorking') {
      if (typeof v !== 'boolean') throw new RangeError(`tcp config 'autocorking' must be true or false, got ${String(v)}`);
      continue;
    }
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`tcp config '${k}' must be a non-negative integer, got ${v}`);
  }
  if (c.sndBuf < 1) throw new RangeError(`tcp config 'sndBuf' must be at least 1 byte`);
  if (c.rcvBuf < 1) throw new RangeError(`tcp config 'rcvBuf' must be at least 1 byte`);
  if (c.minRtoNs > c.maxRtoNs) throw new RangeError(`tcp config 'minRtoNs' exceeds 'maxRtoNs'`);
  return c;
}
