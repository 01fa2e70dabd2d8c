/** Test helper: E4's sans-I/O NBD client driven on a simulated client host's kernel socket. */
import type { Machine } from '../../../scenarios/machine/index.ts';
import { NbdHandshake } from '../../../drivers/nbd/protocol/handshake.ts';
import { TransmissionSession } from '../../../drivers/nbd/protocol/transmission.ts';
import type { NbdRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import type { TcpSocket } from '../../../kernel/net/index.ts';

/** E4's client on a client-host kernel socket: handshake, then a transmission session. */
export class SimClient {
  session: TransmissionSession | null = null;
  readonly done: NbdRequest[] = [];
  readonly sock: TcpSocket;
  private readonly hs: NbdHandshake;

  constructor(m: Machine, exportName: string, opts: { structuredReplies?: boolean; server?: string } = {}) {
    const sock = m.client!.net.tcpSocket({ noDelay: true });
    this.sock = sock;
    this.hs = new NbdHandshake({ exportName, structuredReplies: opts.structuredReplies ?? true }, {
      send: (b) => { sock.send(b); },
      done: (status) => {
        if (status !== 'ready') return;
        this.session = new TransmissionSession(this.hs.result!, {
          send: (b) => { sock.send(b); },
          complete: (r) => this.done.push(r),
        }, { generation: 1, leftover: this.hs.takeLeftover() });
      },
    });
    sock.onData = (chunk) => {
      const c = chunk.slice();
      if (this.session) this.session.feed(c);
      else this.hs.feed(c);
    };
    sock.onConnect = () => this.hs.start();
    sock.connect(m.host(opts.server ?? 'server-a').ip, 10809);
  }

  submit(r: NbdRequest): NbdRequest {
    const bad = this.session!.submit(r);
    if (bad) throw new Error(bad.reason);
    return r;
  }
}

