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
}
