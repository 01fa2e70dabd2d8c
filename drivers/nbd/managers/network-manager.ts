import { NBD_EXTENDED_REQUEST_MAGIC, NBD_EXTENDED_REQUEST_SIZE, NBD_REQUEST_MAGIC, NBD_REQUEST_SIZE } from '../protocol/uapi.ts';
import { get32 } from '../protocol/wire.ts';
import type { ConnectionSlot } from './connection-slot.ts';

/**
 * The device's sockets on the send side, with no send queue of the driver's own: bytes go
 * straight into the kernel socket (which copies them), corked while blk-mq hands a batch so the
 * batch leaves in full segments, uncorked on `last` / commit_rqs. When the socket's send buffer
 * is full the rest of the request stays where it is (views of the session's header and the
 * request's own data, like Linux nbd's `nsock->pending`), and the connection takes nothing new
 * until onWritable has sent it. After STARTTLS the socket carries kernel TLS (kernel/net/tls): the
 * same calls write plaintext, the cork holds the open record and the uncork seals it.
 */
export class NetworkManager {
  /** Corked sends released (one per connection per batch). */
  batches = 0;
  /** Sends the socket took only partly (send buffer full). */
  shortSends = 0;
  /**
   * Trace context, by slot index: the cookie filed under each tag (its low half) and that
   * request's block request id. Arrays by tag, so filing and taking allocate nothing; a tag's
   * next request files over it (its earlier header has gone, or was dropped with its connection).
   */
  private readonly filed: ({ cookie: number[]; rid: number[] } | undefined)[] = [];
  /** Trace context: held-back buffers that start a request's bytes. */
  private readonly unsentRid = new WeakMap<Uint8Array, number>();

  constructor(
    /** Called when a connection that had an unsent rest (or no room) can send again. */
    private readonly onDrained: (slot: ConnectionSlot) => void,
  ) {}

  /**
   * Transmission bytes (request headers, WRITE payloads, DISC), valid until the request's reply.
   * `more`: the request's payload follows at once (MSG_MORE).
   */
  send(slot: ConnectionSlot, bytes: Uint8Array, more = false): void {
    const sock = slot.socket;
    if (!sock) return;
    slot.bytesSent += bytes.length;
    const rid = this.filed[slot.index] !== undefined ? this.ridOfHeader(slot, bytes) : undefined;
    if (rid !== undefined) {
      if (slot.unsent.length > 0) this.unsentRid.set(bytes, rid);
      else sock.markRequest?.(rid);
    }
    if (slot.unsent.length > 0) {
      slot.unsent.push(bytes);
      slot.unsentBytes += bytes.length;
      return;
    }
    const n = sock.send(bytes, more);
    if (n < bytes.length) {
      this.shortSends++;
      slot.unsent.push(n === 0 ? bytes : bytes.subarray(n));
      slot.unsentBytes += bytes.length - n;
    }
  }

  /**
   * Trace context: the request with this cookie is block request `rid` (-1: none). Its header may
   * leave later (a FLUSH waits for earlier writes' replies), so the mark goes in with the header.
   */
  fileRequest(slot: ConnectionSlot, cookie: number, rid: number): void {
    const f = (this.filed[slot.index] ??= { cookie: [], rid: [] });
    const tag = cookie % 0x1_0000_0000;
    f.cookie[tag] = cookie;
    f.rid[tag] = rid;
  }

  /** The block request a request header (28 or 32 bytes, by its magic; 32 or 36 sealed) belongs to. */
  private ridOfHeader(slot: ConnectionSlot, b: Uint8Array): number | undefined {
    // Either size, plus 4 when the header is sealed with its checksum (docs/nbd-extensions.md, "Header checksums").
    if (b.length !== NBD_REQUEST_SIZE && b.length !== NBD_EXTENDED_REQUEST_SIZE && b.length !== NBD_EXTENDED_REQUEST_SIZE + 4) return undefined;
    const magic = get32(b, 0);
    if (magic !== NBD_REQUEST_MAGIC && magic !== NBD_EXTENDED_REQUEST_MAGIC) return undefined;
    const f = this.filed[slot.index]!;
    const tag = get32(b, 12);
    if (f.cookie[tag] !== get32(b, 8) * 0x1_0000_0000 + tag) return -1;
    f.cookie[tag] = -1;
    return f.rid[tag]!;
  }

  /** Handshake bytes: sent at once (the handshake never corks). */
  sendControl(slot: ConnectionSlot, bytes: Uint8Array): void {
    this.send(slot, bytes);
  }

  /** Holds small sends back until uncork (TCP_CORK). */
  cork(slot: ConnectionSlot): void {
    if (slot.corked || !slot.socket) return;
    slot.corked = true;
    slot.socket.cork();
  }

  /** Releases what the batch queued: TCP sends the partial segment (kernel TLS seals the open record). */
  uncork(slot: ConnectionSlot): void {
    if (!slot.corked) return;
    slot.corked = false;
    this.batches++;
    slot.socket?.uncork();
  }

  /** Socket has room again: send the rest held back, or take new requests. */
  writable(slot: ConnectionSlot): void {
    const sock = slot.socket;
    if (!sock) return;
    const list = slot.unsent;
    // No rest: the socket had reported no room (a TLS socket's layer held it all).
    if (list.length === 0) return this.onDrained(slot);
    let i = 0;
    for (; i < list.length; i++) {
      const b = list[i]!;
      const rid = this.unsentRid.get(b);
      if (rid !== undefined) sock.markRequest?.(rid);
      const n = sock.send(b);
      slot.unsentBytes -= n;
      if (n < b.length) {
        this.shortSends++;
        list[i] = b.subarray(n);
        break;
      }
    }
    list.splice(0, i);
    if (list.length === 0) this.onDrained(slot);
  }

  /** Forgets everything held for a connection whose socket is gone. */
  reset(slot: ConnectionSlot): void {
    slot.unsent.length = 0;
    slot.unsentBytes = 0;
    slot.corked = false;
  }

  /** Bytes held for a connection above TCP: the driver's unsent rest and what its TLS layer holds. */
  held(slot: ConnectionSlot): number {
    return slot.unsentBytes + (slot.socket?.tls?.held ?? 0);
  }
}
