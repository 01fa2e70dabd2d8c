/** Test helper: E4's sans-I/O NBD client driven on a simulated client host's kernel socket. */
import type { Machine } from '../../../scenarios/machine/index.ts';
import { NbdHandshake } from '../../../drivers/nbd/protocol/handshake.ts';
import { TransmissionSession } from '../../../drivers/nbd/protocol/transmission.ts';
import type { NbdRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { TlsChannel } from '../../../drivers/nbd/security/tls-channel.ts';
import type { TcpSocket } from '../../../kernel/net/index.ts';
import { engineNetClock } from '../../../kernel/net/clock.ts';
import { tcpUlpTls } from '../../../kernel/net/tls/index.ts';
import { SocketWriter } from '../../../scenarios/hosts/nbd-server/socket-io.ts';

export interface SimClientOptions {
  structuredReplies?: boolean;
  server?: string;
  /** STARTTLS (required) with E7's simulated TLS-PSK channel. */
  tls?: { identity: string; psk: Uint8Array };
}

/** E4's client on a client-host kernel socket: handshake, then a transmission session. */
export class SimClient {
  session: TransmissionSession | null = null;
  status: 'negotiating' | 'ready' | 'closed' | 'dead' = 'negotiating';
  readonly done: NbdRequest[] = [];
  readonly sock: TcpSocket;
  readonly hs: NbdHandshake;
  private tls: TlsChannel | null = null;

  constructor(m: Machine, exportName: string, opts: SimClientOptions = {}) {
    const sock = m.client!.net.tcpSocket({ noDelay: true });
    this.sock = sock;
    // The send buffer takes what fits; the writer keeps the rest until onWritable.
    const writer = new SocketWriter(sock);
    // After STARTTLS the socket's kernel TLS seals what the writer hands it.
    const send = (b: Uint8Array, more?: boolean) => writer.write(b, more);
    const input = (c: Uint8Array) => {
      if (this.session) this.session.feed(c);
      else this.hs.feed(c);
    };
    this.hs = new NbdHandshake({ exportName, structuredReplies: opts.structuredReplies ?? true, tls: opts.tls ? 'require' : 'off' }, {
      send,
      startTls: () => {
        const t = opts.tls!;
        this.tls = new TlsChannel({ role: 'client', identity: t.identity, psk: t.psk, seed: m.engine.seed, random: new Uint8Array(32).fill(7) }, {
          sendRaw: (b) => writer.write(b),
          established: (keys, rest) => {
            const k = tcpUlpTls(sock, engineNetClock(m.engine), null, { data: (b) => input(b.slice()), writable: () => writer.drain(), error: (r) => this.hs.tlsFailed(r) });
            k.setTx(keys.tx);
            writer.upgrade(k);
            k.setRx(keys.rx, rest);
            this.hs.tlsReady();
          },
          failed: (reason) => this.hs.tlsFailed(reason),
        });
        this.tls.start();
      },
      done: (status) => {
        this.status = status;
        if (status !== 'ready') return;
        this.session = new TransmissionSession(this.hs.result!, { send, complete: (r) => this.done.push(r) },
          { generation: 1, leftover: this.hs.takeLeftover() });
      },
    });
    sock.onData = (chunk) => {
      const c = chunk.slice();
      if (this.tls) this.tls.feed(c);
      else input(c);
    };
    sock.onEnd = () => this.hs.eof();
    sock.onConnect = () => this.hs.start();
    sock.connect(m.host(opts.server ?? 'server-a').ip, 10809);
  }

  submit(r: NbdRequest): NbdRequest {
    const bad = this.session!.submit(r);
    if (bad) throw new Error(bad.reason);
    return r;
  }
}
