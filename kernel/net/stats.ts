/** Counters of one host's net stack, published in the kernel stats tree under `net/`. */
export class NetStats {
  ipInPackets = 0;
  ipOutPackets = 0;
  ipNoRoute = 0;
  ipInAddrErrors = 0;
  ipTxQueueDrops = 0;
  tcpInSegs = 0;
  tcpOutSegs = 0;
  tcpRetransSegs = 0;
  tcpFastRetransmits = 0;
  tcpTimeouts = 0;
  tcpLossProbes = 0;
  tcpDupAcks = 0;
  tcpChecksumDrops = 0;
  tcpOutRsts = 0;
  /** Sends whose tail was autocorked (Linux TCPAutoCorking). */
  tcpAutocorking = 0;
  tcpActiveOpens = 0;
  tcpPassiveOpens = 0;
  tcpResets = 0;
  tcpEstablished = 0;
  udpInDatagrams = 0;
  udpOutDatagrams = 0;
  udpNoPorts = 0;
  udpChecksumDrops = 0;
  /** Datagrams refused because the socket's send buffer was full (Linux SndbufErrors). */
  udpSndbufErrors = 0;

  /** Every counter as [path, value], paths relative to the stack (e.g. `tcp/retrans_segs`). */
  entries(): [string, number][] {
    return [
      ['ip/in_packets', this.ipInPackets],
      ['ip/out_packets', this.ipOutPackets],
      ['ip/no_route', this.ipNoRoute],
      ['ip/in_addr_errors', this.ipInAddrErrors],
      ['ip/tx_queue_drops', this.ipTxQueueDrops],
      ['tcp/in_segs', this.tcpInSegs],
      ['tcp/out_segs', this.tcpOutSegs],
      ['tcp/retrans_segs', this.tcpRetransSegs],
      ['tcp/fast_retransmits', this.tcpFastRetransmits],
      ['tcp/timeouts', this.tcpTimeouts],
      ['tcp/loss_probes', this.tcpLossProbes],
      ['tcp/dup_acks', this.tcpDupAcks],
      ['tcp/checksum_drops', this.tcpChecksumDrops],
      ['tcp/out_rsts', this.tcpOutRsts],
      ['tcp/autocorking', this.tcpAutocorking],
      ['tcp/active_opens', this.tcpActiveOpens],
      ['tcp/passive_opens', this.tcpPassiveOpens],
      ['tcp/resets', this.tcpResets],
      ['tcp/established', this.tcpEstablished],
      ['udp/in_datagrams', this.udpInDatagrams],
      ['udp/out_datagrams', this.udpOutDatagrams],
      ['udp/no_ports', this.udpNoPorts],
      ['udp/checksum_drops', this.udpChecksumDrops],
      ['udp/sndbuf_errors', this.udpSndbufErrors],
    ];
  }
}
