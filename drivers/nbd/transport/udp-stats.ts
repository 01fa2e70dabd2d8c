/** Counters of a device's UDP transport, summed over its sessions (nbd-network-stats shows them). */
export class UdpCounters {
  datagramsSent = 0;
  datagramsReceived = 0;
  /** UDP payload bytes (datagram headers included). */
  bytesSent = 0;
  bytesReceived = 0;
  /** Requests sent again after their timeout expired (one per request per expiry). */
  retransmissions = 0;
  timeouts = 0;
  /** Reply datagrams for a request already complete, or a fragment already in. */
  duplicates = 0;
  /** Reply fragments of an older attempt than the one being reassembled. */
  stale = 0;
  /** Datagrams dropped as malformed or carrying another session's token. */
  malformed = 0;
  completed = 0;
  /** Datagrams the full socket send buffer refused (retransmissions only: new requests wait for room). */
  sendRefused = 0;
}

/** What publishUdpStats reads: the counters and the live sessions' window and RTT. */
interface UdpStatsSource {
  readonly counters: UdpCounters;
  readonly sessions: ReadonlyMap<number, { readonly window: { cwnd: number; inFlight: number }; readonly rtt: { srttNs: number; rtoNs: number }; readonly state: string }>;
}

/** Gauges under `prefix` (e.g. block/nbd0/net/udp), which nbd-network-stats lists. */
export function publishUdpStats(u: UdpStatsSource, stats: { gauge(path: string, read: () => number): void }, prefix: string): void {
  const c = u.counters;
  stats.gauge(`${prefix}/datagrams_sent`, () => c.datagramsSent);
  stats.gauge(`${prefix}/datagrams_received`, () => c.datagramsReceived);
  stats.gauge(`${prefix}/bytes_sent`, () => c.bytesSent);
  stats.gauge(`${prefix}/bytes_received`, () => c.bytesReceived);
  stats.gauge(`${prefix}/retransmissions`, () => c.retransmissions);
  stats.gauge(`${prefix}/duplicates`, () => c.duplicates);
  stats.gauge(`${prefix}/stale`, () => c.stale);
  stats.gauge(`${prefix}/malformed`, () => c.malformed);
  stats.gauge(`${prefix}/completed`, () => c.completed);
  stats.gauge(`${prefix}/send_refused`, () => c.sendRefused);
  const live = () => [...u.sessions.values()].filter((s) => s.state === 'open' || s.state === 'draining');
  stats.gauge(`${prefix}/sessions`, () => live().length);
  stats.gauge(`${prefix}/window`, () => Math.round(live().reduce((n, s) => n + s.window.cwnd, 0)));
  stats.gauge(`${prefix}/srtt_ns`, () => { const l = live(); return l.length ? Math.round(l.reduce((n, s) => n + s.rtt.srttNs, 0) / l.length) : 0; });
}
