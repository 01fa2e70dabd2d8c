/**
 * The driver's sockets: a kernel TCP socket as the driver uses it (Linux's nbd drives a
 * `struct socket`), opened from the host's net stack. Server names resolve to host addresses.
 * Unit tests may give the driver another SocketFactory (an in-test network).
 */
import { ipToString, parseIp } from '../../hw-sim/net/packet.ts';
import { EHOSTUNREACH, EIO, ENETUNREACH, errnoOf } from '../../kernel/lib/errno.ts';
import type { NetError } from '../../kernel/net/errors.ts';
import type { NetStack } from '../../kernel/net/stack.ts';
import type { TcpSocket } from '../../kernel/net/tcp/socket.ts';
import type { NetClock } from '../../kernel/net/clock.ts';
import type { Bugs } from '../../hw-sim/engine/bugs.ts';
import { EBADMSG } from '../../kernel/lib/errno.ts';
import { tcpUlpTls, type TlsCpu, type TlsKeys, type TlsSw } from '../../kernel/net/tls/index.ts';
import type { DatagramSocket } from './transport/udp-session.ts';
import { UDP_SOCKET_BUFFER } from './transport/udp-control.ts';

/** A connected socket: callbacks, never Promises. */
export interface NbdSocket {
  /**
   * Queues bytes; answers the number of bytes accepted (less than asked: the send buffer is
   * full, wait for onWritable). The caller may reuse `bytes` after the call returns. `more`
   * (MSG_MORE): the rest of the message follows at once; output waits for it.
   */
  send(bytes: Uint8Array, more?: boolean): number;
  /** Room in the send buffer, bytes. */
  readonly writable: number;
  /** Holds small sends back until uncork (TCP_CORK). */
  cork(): void;
  uncork(): void;
  close(): void;
  /** Aborts with RST. */
  reset(): void;
  /** Trace context: `addr:port` of our end, as the server sees its peer (kernel sockets only). */
  readonly flow?: string;
  /** Trace context: the bytes sent from now on are block request `rid`'s (never on the wire). */
  markRequest?(rid: number): void;
  /** The kernel TCP socket underneath, when there is one (for measurement taps; the driver never uses it). */
  readonly kernel?: TcpSocket;
  /**
   * Kernel TLS (TCP_ULP "tls", then TLS_TX and TLS_RX with `keys`): from now on send() takes
   * plaintext and onData gives plaintext, sealing and opening cost `tls.cpu`'s time per byte, and a
   * record that fails ends the connection (onClose with EBADMSG). `rest` came after the handshake.
   */
  setTls(keys: TlsKeys, rest: Uint8Array, tls: TlsEnv): void;
  /** The socket's TLS layer once keys are installed (its counters), else null. */
  readonly tls: TlsSw | null;
}

/** What the TLS layer runs on: the clock of its CPU waits and the core that pays them (none: counted only). */
export interface TlsEnv {
  readonly clock: NetClock;
  readonly cpu: TlsCpu | null;
  /** The run's injected bugs (tls-tag-unchecked). */
  readonly bugs?: Bugs;
}

export interface SocketEvents {
  onConnect(): void;
  /** Received bytes: a view valid only during the call (a receive buffer the socket reuses). */
  onData(bytes: Uint8Array): void;
  /** Room in the send buffer again after a short send. */
  onWritable(): void;
  /** Closed; `errno` 0 for an orderly close. */
  onClose(errno: number): void;
}

/** Opens sockets from the client host. */
export interface SocketFactory {
  connect(host: string, port: number, events: SocketEvents): NbdSocket;
  /** A UDP socket that sends to `host:port` and hears only from it (the UDP transport); absent: no UDP. */
  datagram?(host: string, port: number): DatagramSocket | null;
}

/** Kernel TCP sockets of one host's net stack. */
export class KernelSockets implements SocketFactory {
  constructor(private readonly net: NetStack, private readonly resolve: (name: string) => number | undefined) {}

  /** The address of a scenario host name or a dotted quad; undefined when it is neither. */
  private addressOf(name: string): number | undefined {
    const known = this.resolve(name);
    if (known !== undefined) return known;
    try {
      return parseIp(name);
    } catch {
      return undefined;
    }
  }

  connect(name: string, port: number, ev: SocketEvents): NbdSocket {
    const addr = this.addressOf(name);
    const s = this.net.tcpSocket({ noDelay: true });
    let errno = 0;
    s.onConnect = () => ev.onConnect();
    // The view is valid only during the call, as SocketEvents.onData says.
    s.onData = (chunk) => ev.onData(chunk);
    s.onWritable = () => ev.onWritable();
    s.onEnd = () => s.close();
    s.onError = (e: NetError) => { errno = errnoOf(e.code, EIO); };
    s.onClose = () => ev.onClose(errno);
    // connect(2) fails at once for a host that resolves to nothing or an address no route leads
    // to: the connection fails with that errno, heard from the engine loop as any failed connect.
    let failed = addr === undefined ? EHOSTUNREACH : 0;
    if (addr !== undefined) {
      try {
        s.connect(addr, port);
      } catch (e) {
        if ((e as NetError).code !== 'ENETUNREACH') throw e;
        failed = ENETUNREACH;
      }
    }
    if (failed !== 0) this.net.clock.schedule(0, () => ev.onClose(failed), 'nbd.connect-failed');
    return new KernelSocket(s, ev, (e) => { errno = e; });
  }

  datagram(name: string, port: number): DatagramSocket | null {
    const addr = this.addressOf(name);
    // No address, no UDP: the session stays on TCP, whose connect reports the failure.
    if (addr === undefined || this.net.route(addr) === undefined) return null;
    const u = this.net.udpSocket();
    u.sndbuf = UDP_SOCKET_BUFFER;
    const d: DatagramSocket = {
      send: (b, len) => u.sendTo(addr, port, b, 0, len),
      get writable() { return u.writable; },
      onMessage: null,
      onWritable: null,
      close: () => u.close(),
    };
    u.onWritable = () => d.onWritable?.();
    // A connected UDP socket: datagrams from anyone else are not for this session.
    u.onMessage = (b, from, fromPort) => { if (from === addr && fromPort === port) d.onMessage?.(b); };
    return d;
  }
}

class KernelSocket implements NbdSocket {
  tls: TlsSw | null = null;
  constructor(private readonly s: TcpSocket, private readonly ev: SocketEvents, private readonly setErrno: (errno: number) => void) {}
  get kernel(): TcpSocket {
    return this.s;
  }
  setTls(keys: TlsKeys, rest: Uint8Array, env: TlsEnv): void {
    const tls = tcpUlpTls(this.s, env.clock, env.cpu, {
      data: (plain) => this.ev.onData(plain),
      writable: () => this.ev.onWritable(),
      // A record that does not open: the connection is unusable (Linux: sk_err = EBADMSG).
      error: () => { this.setErrno(EBADMSG); this.s.abort(); },
    }, env.bugs);
    tls.setTx(keys.tx);
    this.tls = tls;
    tls.setRx(keys.rx, rest);
  }
  // After the peer's FIN the socket is shut down on our side too (onEnd closes it), yet the
  // connection is declared dead only at onClose: sends in between take nothing, as EPIPE would,
  // and the connection's death requeues what they carried.
  private get open(): boolean {
    return this.s.state !== 'CLOSED' && !this.s.finQueued;
  }
  send(bytes: Uint8Array, more = false): number {
    if (!this.open) return 0;
    return this.tls ? this.tls.send(bytes, 0, bytes.length, more) : this.s.send(bytes, 0, bytes.length, more);
  }
  get writable(): number {
    if (!this.open) return 0;
    return this.tls ? this.tls.writable : this.s.writable;
  }
  cork(): void { if (this.tls) this.tls.setCork(true); else this.s.setCork(true); }
  uncork(): void { if (this.tls) this.tls.setCork(false); else this.s.setCork(false); }
  close(): void { if (this.tls) this.tls.close(() => this.s.close()); else this.s.close(); }
  reset(): void { this.tls?.drop(); this.s.abort(); }
  get flow(): string { return `${ipToString(this.s.localAddr)}:${this.s.localPort}`; }
  markRequest(rid: number): void { if (this.tls) this.tls.markRequest(rid); else this.s.markRequest(rid); }
}
