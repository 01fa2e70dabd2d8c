import { NBD_EXTENDED_REQUEST_MAGIC, NBD_EXTENDED_REQUEST_SIZE, NBD_REQUEST_MAGIC, NBD_REQUEST_SIZE } from '../protocol/uapi.ts';
import type { Engine, EventHandle } from '../../../hw-sim/engine/index.ts';
import { get32 } from '../protocol/wire.ts';
import type { ConnectionSlot } from './connection-slot.ts';

/**
 * TLS state of one connection's send side: plaintext of the open record (filled while the socket
 * is corked, sealed on uncork, as kernel TLS fills its open record), and sealed records waiting
 * for the CPU time their encryption costs.
 */
class TlsTx {
  buf = new Uint8Array(64 * 1024);
  len = 0;
  sealed: Uint8Array[] = [];
  /** Virtual time each sealed record is ready (encryption done on the CPU). */
  sealedAt: number[] = [];
  /** The connection's TLS work is serialised: when the CPU is free for the next record. */
  cpuFreeAt = 0;
  /** Send-side TLS CPU time already charged (cpuNs − rxCpuNs at the last record). */
  cpuCharged = 0;
  wake: EventHandle | null = null;

  append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
}

/**
 * The device's sockets on the send side, with no send queue of the driver's own: bytes go
 * straight into the kernel socket (which copies them), corked while blk-mq hands a batch so the
 * batch leaves in full segments, uncorked on `last` / commit_rqs. When the socket's send buffer
 * is full the rest of the request stays where it is (views of the session's header and the
 * request's own data, like Linux nbd's `nsock->pending`), and the connection takes nothing new
 * until onWritable has sent it. After STARTTLS, plaintext fills the open TLS record instead.
 */
export class NetworkManager {
  private readonly tls: (TlsTx | undefined)[] = [];
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
    private readonly engine: Engine,
    /** Called when a connection that had an unsent rest has sent it. */
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
      else if (!slot.tls?.open) sock.markRequest?.(rid);
    }
    if (slot.tls?.open) {
      this.tlsTx(slot).append(bytes);
      if (!slot.corked) this.sealOpenRecord(slot);
      return;
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

  /** Handshake bytes: sent at once (corking does not hold them). */
  sendControl(slot: ConnectionSlot, bytes: Uint8Array): void {
    this.send(slot, bytes);
    if (slot.tls?.open) this.sealOpenRecord(slot);
  }

  /** Holds small sends back until uncork (TCP_CORK). */
  cork(slot: ConnectionSlot): void {
    if (slot.corked || !slot.socket) return;
    slot.corked = true;
    slot.socket.cork();
  }

  /** Releases what the batch queued: pushes the TLS record, lets TCP send the partial segment. */
  uncork(slot: ConnectionSlot): void {
    if (!slot.corked) return;
    slot.corked = false;
    this.batches++;
    if (slot.tls?.open) this.sealOpenRecord(slot);
    slot.socket?.uncork();
  }

  /** Bytes that bypass TLS sealing (the TLS handshake itself). */
  sendRaw(slot: ConnectionSlot, bytes: Uint8Array): void {
    const q = this.tlsTx(slot);
    this.pushRecord(slot, q, bytes);
    this.pushSealed(slot, q);
  }

  /** Socket has room again: send the rest held back. */
  writable(slot: ConnectionSlot): void {
    const sock = slot.socket;
    if (!sock) return;
    const q = this.tls[slot.index];
    if (q) this.pushSealed(slot, q);
    const list = slot.unsent;
    if (list.length === 0) return;
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
    slot.tlsQueued = 0;
    const q = this.tls[slot.index];
    if (!q) return;
    q.len = 0;
    q.sealed.length = 0;
    q.sealedAt.length = 0;
    this.engine.cancel(q.wake);
    q.wake = null;
    q.cpuFreeAt = 0;
    q.cpuCharged = 0;
  }

  /** Bytes the driver holds for a connection: an unsent rest, and TLS records not yet in the socket. */
  held(slot: ConnectionSlot): number {
    return slot.unsentBytes + slot.tlsQueued;
  }

  private tlsTx(slot: ConnectionSlot): TlsTx {
    return (this.tls[slot.index] ??= new TlsTx());
  }

  private sealOpenRecord(slot: ConnectionSlot): void {
    const q = this.tlsTx(slot);
    if (q.len > 0) {
      this.pushRecord(slot, q, slot.tls!.seal(q.buf.subarray(0, q.len)));
      q.len = 0;
    }
    this.pushSealed(slot, q);
  }

  /**
   * Queues a TLS record behind the CPU time it cost (handshake key schedule and MACs, AES-GCM per
   * byte): records leave in order, each once the connection's TLS work before it is done.
   */
  private pushRecord(slot: ConnectionSlot, q: TlsTx, rec: Uint8Array): void {
    const spent = slot.tls ? slot.tls.cpuNs - slot.tls.rxCpuNs - q.cpuCharged : 0;
    q.cpuCharged += spent;
    const at = Math.max(this.engine.now, q.cpuFreeAt) + spent;
    q.cpuFreeAt = at;
    q.sealed.push(rec);
    q.sealedAt.push(at);
    slot.tlsQueued += rec.length;
  }

  private pushSealed(slot: ConnectionSlot, q: TlsTx): void {
    const sock = slot.socket;
    const before = q.sealed.length;
    while (sock && q.sealed.length > 0) {
      if (q.sealedAt[0]! > this.engine.now) {
        if (q.wake === null) q.wake = this.engine.scheduleAt(q.sealedAt[0]!, () => { q.wake = null; this.writable(slot); }, 'nbd.tls.cpu');
        return;
      }
      const rec = q.sealed[0]!;
      const sent = sock.send(rec);
      slot.tlsQueued -= sent;
      if (sent < rec.length) {
        q.sealed[0] = rec.subarray(sent);
        this.shortSends++;
        return;
      }
      q.sealed.shift();
      q.sealedAt.shift();
    }
    if (before > 0 && q.sealed.length === 0 && slot.unsent.length === 0) this.onDrained(slot);
  }
}
