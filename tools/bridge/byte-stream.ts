/**
 * A byte stream over node:net with an in-place STARTTLS upgrade to TLS-PSK (node:tls). The NBD
 * client and server sessions are sans-I/O; this is the only place real sockets are touched.
 *
 * Reads: a socket this stream opens (`SocketStream.connect`) reads through net's `onread` into a
 * per-connection receive ring, so node allocates no Buffer per read; when the consumer names a
 * destination (`StreamEvents.target`: the rest of a READ reply's payload) the socket reads
 * straight into it. Accepted sockets and TLS keep node's 'data' events (`onread` exists only for
 * sockets net creates itself, and the TLS layer reads the handle on its own).
 * Writes: pieces are corked and leave in one writev (see write()); small pieces (request and
 * reply headers) are copied into a staging chunk, so they cost one write between them.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { PSK_CIPHERS, type PskEntry } from './psk.ts';

export interface StreamEvents {
  /** Received bytes: valid until onRecycle() (ring reads), so copy what you hold longer. */
  onData(bytes: Uint8Array): void;
  /** The stream ended; `error` when it broke. */
  onClose(error?: Error): void;
  /**
   * Where the next bytes may land directly (they can only be read data of a request in flight),
   * or null. Only views of at least DIRECT_MIN bytes are used: smaller typed arrays may live on
   * V8's heap, where the GC moves them.
   */
  target?(): Uint8Array | null;
  /** `n` bytes were read into the view target() returned. */
  onDataInPlace?(n: number): void;
  /** Ring space handed out before is about to be overwritten: copy any bytes still held. */
  onRecycle?(): void;
}

/**
 * Receive ring per connection, and the most one ring read may take. Ring reads are small on
 * purpose: the bytes after a reply header are read data, and the next read puts them straight
 * into the request's buffer (one copy fewer); 16 KiB still holds several small replies.
 */
const RING_BYTES = 4 << 20;
const RING_READ = 16 << 10;
/** Smallest destination view read into directly. */
const DIRECT_MIN = 16 << 10;
/** Writes up to this size are copied into the staging chunk; longer ones go by reference. */
const STAGE_MAX = 1024;
const STAGE_CHUNK = 64 << 10;

export class SocketStream {
  private sock: Socket;
  private closed = false;
  private events: StreamEvents | null = null;
  private readonly onDataFn = (b: Buffer) => this.events?.onData(b);
  private readonly onCloseFn = () => this.finish();
  private readonly onErrorFn = (e: Error) => this.finish(e);

  // Ring reads (sockets from connect() only).
  private ring: Uint8Array | null = null;
  private ringPos = 0;
  /** The buffer node reads into next: a ring slice, or a consumer's destination. */
  private direct = false;

  // Staged writes.
  private stage: Uint8Array = EMPTY;
  private stageStart = 0;
  private stageEnd = 0;
  private corked: Socket | null = null;
  private readonly uncorkFn = () => this.flush();
  /** Uncork in the check phase (a client batching requests) rather than after this tick (a server answering). */
  private uncorkLate = false;

  /** Wraps a socket someone else opened (an accepted connection): node's 'data' events. */
  constructor(readonly raw: Socket) {
    this.sock = raw;
    raw.setNoDelay(true);
  }

  /** Opens a TCP connection that reads through the receive ring (and into targets). */
  static connect(host: string, port: number): SocketStream {
    let self: SocketStream | null = null;
    const ring = new Uint8Array(RING_BYTES);
    const raw = netConnect({
      host, port, noDelay: true,
      onread: {
        // Called once before the first read, then after every read: where the next one lands.
        buffer: () => (self ? self.nextReadBuffer() : ring.subarray(0, RING_READ)),
        callback: (n: number) => {
          self?.onRead(n);
          return true;
        },
      },
    });
    self = new SocketStream(raw);
    self.ring = ring;
    self.uncorkLate = true;
    return self;
  }

  get remoteAddress(): string {
    return this.raw.remoteAddress ?? 'unknown';
  }

  /**
   * Starts delivering events. An accepted socket buffers data until then; a stream from
   * connect() reads at once, so attach it before returning to the event loop.
   */
  attach(events: StreamEvents): void {
    this.events = events;
    this.listen(this.sock);
  }

  /**
   * Writes `bytes` after everything written before. A connecting (client) stream stays corked
   * until the event loop's check phase (setImmediate), so the requests issued by all the reads
   * of one poll leave in one writev: on loopback every send also runs the peer's receive path,
   * and small sends were a quarter of the client's time. An accepted (server) stream uncorks
   * after the current tick: replies leave at once, which kept nbdcopy's pipeline fuller in the
   * bench. Up to STAGE_MAX bytes are copied at once; longer pieces are sent by reference and
   * must stay unchanged until written (the sessions hand over payloads that stay put until
   * their reply, and the memory store's pages).
   */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = this.sock;
      this.sock.cork();
      if (this.uncorkLate) setImmediate(this.uncorkFn);
      else process.nextTick(this.uncorkFn);
    }
    const n = bytes.length;
    if (n > STAGE_MAX) {
      this.sealStage();
      this.sock.write(bytes);
      return;
    }
    if (this.stageEnd + n > this.stage.length) {
      this.sealStage();
      // The old chunk stays alive while node still holds slices of it.
      this.stage = new Uint8Array(STAGE_CHUNK);
      this.stageStart = this.stageEnd = 0;
    }
    this.stage.set(bytes, this.stageEnd);
    this.stageEnd += n;
  }

  /** Hands the staged bytes to the socket as one slice of the chunk. */
  private sealStage(): void {
    if (this.stageEnd === this.stageStart) return;
    this.corked?.write(this.stage.subarray(this.stageStart, this.stageEnd));
    this.stageStart = this.stageEnd;
  }

  /** Sends what the current tick corked. */
  private flush(): void {
    const s = this.corked;
    if (!s) return;
    this.sealStage();
    this.corked = null;
    s.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
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

  /** The next buffer node reads into: the consumer's destination if it names one, else ring. */
  private nextReadBuffer(): Uint8Array {
    const t = this.events?.target?.() ?? null;
    if (t !== null && t.length >= DIRECT_MIN) {
      this.direct = true;
      return t;
    }
    this.direct = false;
    const ring = this.ring!;
    if (this.ringPos + RING_READ > ring.length) {
      // Wrapping: whatever the consumer still holds of the ring must be copied first.
      this.events?.onRecycle?.();
      this.ringPos = 0;
    }
    return ring.subarray(this.ringPos, this.ringPos + RING_READ);
  }

  private onRead(n: number): void {
    const ev = this.events;
    if (this.direct) {
      ev?.onDataInPlace?.(n);
      return;
    }
    const at = this.ringPos;
    this.ringPos += n;
    ev?.onData(this.ring!.subarray(at, at + n));
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
    // With onread, net delivers to the ring callback and emits no 'data'.
    if (!(s === this.raw && this.ring)) s.on('data', this.onDataFn);
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

const EMPTY = new Uint8Array(0);
