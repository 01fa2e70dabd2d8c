/**
 * The server host's UDP listener for the UDP transport (docs/nbd-extensions.md): one kernel UDP
 * socket on the NBD port, grants handed to TCP sessions that ask (a token from the host's seeded
 * stream, unique among live sessions), and datagrams demultiplexed by token to their session.
 */
import { decodeUdpDatagram, emptyDatagram, encodeUdpDatagram, type UdpGrant } from '../../../drivers/nbd/protocol/udp-datagram.ts';
import { NBD_ESHUTDOWN } from '../../../drivers/nbd/protocol/uapi.ts';
import { parseIp, IPV4_HEADER_BYTES, UDP_HEADER_BYTES } from '../../../hw-sim/net/packet.ts';
import type { Rng } from '../../../hw-sim/engine/index.ts';
import type { NetStack } from '../../../kernel/net/stack.ts';
import type { UdpSocket } from '../../../kernel/net/udp.ts';
import type { ServerUdp, Session } from './protocol/types.ts';
import { UdpServerSession, type UdpServerCounters } from './udp-session.ts';

/** Send buffer of the server's UDP socket, bytes. */
export const UDP_SERVER_SNDBUF = 8 * 1024 * 1024;

export class UdpListener implements ServerUdp {
  private sock: UdpSocket | null = null;
  private readonly sessions = new Map<string, UdpServerSession>();
  private readonly rx = emptyDatagram();
  readonly counters: UdpServerCounters = { datagramsIn: 0, datagramsOut: 0, replayed: 0, stale: 0, malformed: 0, unknownToken: 0, sendRefused: 0 };

  constructor(
    private readonly net: NetStack,
    readonly port: number,
    private readonly tokens: Rng,
    private readonly replayCacheOff: () => boolean,
  ) {}

  start(): void {
    if (this.sock) return;
    const s = this.net.udpSocket(this.port);
    // A server socket answers every client's READs: a tuned buffer (net.core.wmem_max), not the default.
    s.sndbuf = UDP_SERVER_SNDBUF;
    s.onMessage = (d, addr, port) => this.input(d, addr, port);
    this.sock = s;
  }

  /** Crash or stop: the socket closes and every token is forgotten. */
  stop(): void {
    this.sock?.close();
    this.sock = null;
    this.sessions.clear();
  }

  grant(s: Session, datagram: number): UdpGrant | null {
    if (!this.sock) return null;
    for (const [k, u] of this.sessions) if (u.session.phase === 'closed' || u.session.udp === null) this.sessions.delete(k);
    const route = this.net.route(parseIp(s.who.address));
    if (!route) return null;
    const size = Math.min(datagram, route.mtu - IPV4_HEADER_BYTES - UDP_HEADER_BYTES);
    let hi = 0;
    let lo = 0;
    do {
      hi = this.tokens.int(0x100000000) >>> 0;
      lo = this.tokens.int(0x100000000) >>> 0;
    } while (this.sessions.has(`${hi}:${lo}`));
    this.sessions.set(`${hi}:${lo}`, new UdpServerSession(
      s, size, (a, p, b, n) => { if (this.sock && !this.sock.sendTo(a, p, b, 0, n)) this.counters.sendRefused++; }, this.counters, this.replayCacheOff(),
    ));
    return { port: this.port, datagram: size, tokenHi: hi, tokenLo: lo };
  }

  private input(bytes: Uint8Array, addr: number, port: number): void {
    const d = this.rx;
    if (decodeUdpDatagram(bytes, false, d) !== null) {
      this.counters.malformed++;
      return;
    }
    const key = `${d.tokenHi}:${d.tokenLo}`;
    const u = this.sessions.get(key);
    const s = u?.session;
    if (!u || !s || s.phase === 'closed' || s.udp === null || s.udp.tokenHi !== d.tokenHi || s.udp.tokenLo !== d.tokenLo) {
      if (u && s?.phase === 'closed') this.sessions.delete(key);
      this.counters.unknownToken++;
      // A token this server does not know (it restarted, or TCP closed): say so, as a RST would.
      const r = encodeUdpDatagram({ ...d, reply: true, flags: 0, error: NBD_ESHUTDOWN, fragOffset: 0, fragCount: 1, ackedBelow: 0 });
      this.sock?.sendTo(addr, port, r);
      return;
    }
    if (s.phase !== 'transmission' || s.server.faults.hang) return; // hang: swallowed, the client retransmits
    this.counters.datagramsIn++;
    u.handle(d, addr, port);
  }
}
