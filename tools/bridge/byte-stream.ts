/**
 * A byte stream over node:net with an in-place STARTTLS upgrade to TLS-PSK (node:tls). The NBD
 * client and server sessions are sans-I/O; this is the only place real sockets are touched.
 */
import type { Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { PSK_CIPHERS, type PskEntry } from './psk.ts';

export interface StreamEvents {
  onData(bytes: Uint8Array): void;
  /** The stream ended; `error` when it broke. */
  onClose(error?: Error): void;
}

export class SocketStream {
  private sock: Socket;
  private closed = false;
  private events: StreamEvents | null = null;
  private readonly onDataFn = (b: Buffer) => this.events?.onData(b);
  private readonly onCloseFn = () => this.finish();
  private readonly onErrorFn = (e: Error) => this.finish(e);

  constructor(readonly raw: Socket) {
    this.sock = raw;
    raw.setNoDelay(true);
  }

  get remoteAddress(): string {
    return this.raw.remoteAddress ?? 'unknown';
  }

  /** Starts delivering events (data buffered in the socket until then). */
  attach(events: StreamEvents): void {
    this.events = events;
    this.listen(this.sock);
  }

  /** Writes; everything written in one tick leaves in one writev (cork now, uncork next tick). */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = this.sock;
      this.sock.cork();
      process.nextTick(this.uncorkFn);
    }
    this.sock.write(bytes);
  }

  private corked: Socket | null = null;
  private readonly uncorkFn = () => this.flush();

  /** Sends what the current tick corked. */
  private flush(): void {
    const s = this.corked;
    this.corked = null;
    s?.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.sock.end();
    // A peer that never closes its side must not keep the process alive.
    this.sock.setTimeout(2000, () => this.sock.destroy());
  }

  destroy(): void {
    this.sock.destroy();
  }

  /** Client STARTTLS: TLS-PSK over the same socket. Resolves when the TLS handshake is done. */
  upgradeClient(psk: PskEntry, servername = 'localhost'): Promise<void> {
    this.flush();
    this.unlisten(this.sock);
    const tls = tlsConnect({
      socket: this.raw,
      ciphers: PSK_CIPHERS,
      maxVersion: 'TLSv1.2',
      servername,
      pskCallback: () => ({ psk: psk.key, identity: psk.identity }),
      checkServerIdentity: () => undefined,
    });
    return this.adopt(tls, 'secureConnect');
  }

  /** Server STARTTLS: TLS-PSK over the same socket; resolves with the client's PSK identity. */
  upgradeServer(keys: readonly PskEntry[]): Promise<string> {
    // The STARTTLS ACK must leave in clear before the TLS layer takes the socket.
    this.flush();
    this.unlisten(this.sock);
    let identity = '';
    const tls = new TLSSocket(this.raw, {
      isServer: true,
      ciphers: PSK_CIPHERS,
      maxVersion: 'TLSv1.2',
      pskCallback: (_s: TLSSocket, id: string) => {
        const k = keys.find((x) => x.identity === id);
        if (!k) return null;
        identity = id;
        return k.key;
      },
    } as never);
    return this.adopt(tls, 'secure').then(() => identity);
  }

  private adopt(tls: TLSSocket, readyEvent: string): Promise<void> {
    this.sock = tls;
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        tls.off(readyEvent, ok);
        reject(e);
        // After the rejection handlers: the session hears "TLS failed" before "closed".
        setImmediate(() => this.finish(e));
      };
      const ok = () => {
        tls.off('error', fail);
        tls.off('close', early);
        this.listen(tls);
        resolve();
      };
      const early = () => fail(new Error('connection closed during the TLS handshake'));
      tls.once(readyEvent, ok);
      tls.once('error', fail);
      tls.once('close', early);
    });
  }

  private listen(s: Socket): void {
    s.on('data', this.onDataFn);
    s.on('close', this.onCloseFn);
    s.on('error', this.onErrorFn);
  }

  private unlisten(s: Socket): void {
    s.off('data', this.onDataFn);
    s.off('close', this.onCloseFn);
    s.off('error', this.onErrorFn);
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.events?.onClose(error);
  }
}
