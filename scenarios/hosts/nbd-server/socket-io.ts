import type { TcpSocket } from '../../../kernel/net/tcp/socket.ts';
import type { TlsSw } from '../../../kernel/net/tls/index.ts';

/**
 * Ordered output on a kernel TCP socket: what send() does not accept now waits here (copied: the
 * server's reply headers and read data are reused buffers) and goes out on onWritable, so a
 * session can hand over replies without caring about the send buffer.
 */
export class SocketWriter {
  private readonly pending: Uint8Array[] = [];
  /** Trace context: the request id whose bytes start with pending[i] (undefined: no change). */
  private readonly pendingRids: (number | undefined)[] = [];
  /** Trace context: the request the next write belongs to (null: unchanged). */
  private nextRid: number | null = null;
  private head = 0;
  /** Offset into pending[head] already accepted by the socket. */
  private off = 0;
  private closing = false;
  /** Kernel TLS on the socket (after STARTTLS): writes go through it as plaintext. */
  private tls: TlsSw | null = null;

  constructor(private readonly sock: TcpSocket) {
    sock.onWritable = () => this.drain();
  }

  /** The socket carries kernel TLS from now on; its layer calls drain() when it has room. */
  upgrade(tls: TlsSw): void {
    this.tls = tls;
  }

  /** Bytes buffered here (not yet in the socket). */
  get backlog(): number {
    let n = -this.off;
    for (let i = this.head; i < this.pending.length; i++) n += this.pending[i]!.length;
    return n;
  }

  /** `more`: another piece of the same message follows at once (MSG_MORE). `off`, `len`: a range of `bytes`. */
  write(bytes: Uint8Array, more = false, off = 0, len = bytes.length - off): void {
    if (len === 0 || this.sock.state === 'CLOSED') return;
    const rid = this.nextRid;
    this.nextRid = null;
    if (this.head === this.pending.length) {
      if (rid !== null) this.markRequest(rid);
      const n = this.put(bytes, off, len, more);
      if (n === len) return;
      this.pending.push(bytes.slice(off + n, off + len));
      this.pendingRids.push(undefined);
      this.off = 0;
      return;
    }
    this.pending.push(bytes.slice(off, off + len));
    this.pendingRids.push(rid ?? undefined);
  }

  /**
   * write(head, MSG_MORE) then write(data range) in one socket call (sendmsg with two iovecs):
   * what the socket does not take waits here exactly as the two writes would have left it.
   */
  writePair(head: Uint8Array, data: Uint8Array, off: number, len: number): void {
    if (this.head !== this.pending.length || this.sock.state === 'CLOSED') {
      this.write(head, true);
      this.write(data, false, off, len);
      return;
    }
    const rid = this.nextRid;
    this.nextRid = null;
    if (rid !== null) this.markRequest(rid);
    const h = head.length;
    let n = this.tls ? this.tls.sendv(head, data, off, len) : this.sock.sendv(head, data, off, len);
    if (n === h + len) return;
    if (n < h) {
      this.pending.push(head.slice(n));
      this.pendingRids.push(undefined);
      n = h;
    }
    if (n - h < len) {
      this.pending.push(data.slice(off + n - h, off + len));
      this.pendingRids.push(undefined);
    }
    this.off = 0;
  }

  /** Trace context: the next bytes written are block request `rid`'s reply (-1: no request's). */
  mark(rid: number): void {
    this.nextRid = rid;
  }

  /** Closes (FIN) once everything written has been handed to the socket. */
  end(): void {
    this.closing = true;
    if (this.head === this.pending.length) this.close();
  }

  /** Room again: hands the socket what waits here. */
  drain(): void {
    while (this.head < this.pending.length) {
      if (this.sock.state === 'CLOSED') return;
      const b = this.pending[this.head]!;
      const rid = this.off === 0 ? this.pendingRids[this.head] : undefined;
      if (rid !== undefined) this.markRequest(rid);
      const n = this.put(b, this.off, b.length - this.off, false);
      this.off += n;
      if (this.off < b.length) return;
      this.pending[this.head++] = EMPTY;
      this.off = 0;
    }
    this.pending.length = 0;
    this.pendingRids.length = 0;
    this.head = 0;
    if (this.closing) this.close();
  }

  private put(b: Uint8Array, off: number, len: number, more: boolean): number {
    return this.tls ? this.tls.send(b, off, len, more) : this.sock.send(b, off, len, more);
  }

  private markRequest(rid: number): void {
    if (this.tls) this.tls.markRequest(rid);
    else this.sock.markRequest(rid);
  }

  private close(): void {
    if (this.tls) this.tls.close(() => this.sock.close());
    else this.sock.close();
  }
}

const EMPTY = new Uint8Array(0);
