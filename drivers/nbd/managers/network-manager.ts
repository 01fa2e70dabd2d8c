import { Subject } from 'rxjs';
import type { Engine, EventHandle } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from './connection-slot.ts';

/** One batch handed to a socket; the record is reused for every emission. */
export interface Frame {
  t: number;
  conn: number;
  bytes: number;
  requests: number;
  tls: boolean;
}

/** Per-connection transmit staging: requests queued in one event go out as one send (corking). */
class TxQueue {
  buf: Uint8Array;
  /** Unsent bytes are buf[head, tail). */
  head = 0;
  tail = 0;
  requests = 0;
  flushEvent: EventHandle | null = null;
  /** TLS records waiting for their CPU time to pass or for socket room (TLS connections only). */
  sealed: Uint8Array[] = [];
  /** Virtual time each sealed record is ready (encryption done on the CPU). */
  sealedAt: number[] = [];
  /** The connection's TLS work is serialised: when the CPU is free for the next record. */
  cpuFreeAt = 0;
  /** Send-side TLS CPU time already charged (cpuNs − rxCpuNs at the last record). */
  cpuCharged = 0;
  wake: EventHandle | null = null;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  get pending(): number {
    return this.tail - this.head;
  }
  /** Room for `n` more bytes: compacts, then grows (rare: only when the socket stays full). */
  reserve(n: number): void {
    if (this.tail + n <= this.buf.length) return;
    if (this.head > 0) {
      this.buf.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    if (this.tail + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.tail + n));
      bigger.set(this.buf.subarray(0, this.tail));
      this.buf = bigger;
    }
  }
}

/**
 * Sockets of the device's connections: batching of small requests into one send per event,
 * back-pressure when a socket's send buffer is full (the backlog stays here and the load
 * balancer steers around the connection), and TLS sealing of everything after STARTTLS.
 */
export class NetworkManager {
  readonly frames$ = new Subject<Frame>();
  private readonly tx: TxQueue[] = [];
  private readonly frame: Frame = { t: 0, conn: 0, bytes: 0, requests: 0, tls: false };
  batches = 0;
  shortSends = 0;

  constructor(
    private readonly engine: Engine,
    private readonly txBufferBytes: number,
    /** Called when a connection's backlog has drained after back-pressure. */
    private readonly onDrained: (slot: ConnectionSlot) => void,
  ) {}

  private queue(slot: ConnectionSlot): TxQueue {
    return (this.tx[slot.index] ??= new TxQueue(this.txBufferBytes));
  }

  /**
   * Queues transmission bytes (request headers, WRITE payloads, DISC); everything queued during
   * one engine event leaves in one send at the end of it (corking small requests).
   */
  append(slot: ConnectionSlot, bytes: Uint8Array): void {
    const q = this.queue(slot);
    q.reserve(bytes.length);
    q.buf.set(bytes, q.tail);
    q.tail += bytes.length;
    slot.backlog = q.pending;
    if (q.flushEvent === null) q.flushEvent = this.engine.schedule(0, () => this.flush(slot), 'nbd.tx.batch');
  }

  /** One more request went into the current batch (for frames$). */
  countRequest(slot: ConnectionSlot): void {
    this.queue(slot).requests++;
  }

  /** Handshake bytes: sent at once, in order with anything queued. */
  sendControl(slot: ConnectionSlot, bytes: Uint8Array): void {
    this.append(slot, bytes);
    this.flush(slot);
  }

  /** Bytes that bypass TLS sealing (the TLS handshake itself). */
  sendRaw(slot: ConnectionSlot, bytes: Uint8Array): void {
    const q = this.queue(slot);
    this.pushRecord(slot, q, bytes);
    this.pushSealed(slot, q);
  }

  /** Socket has room again. */
  writable(slot: ConnectionSlot): void {
    this.flush(slot);
  }

  /** Forgets everything queued for a connection whose socket is gone. */
  reset(slot: ConnectionSlot): void {
    const q = this.tx[slot.index];
    if (!q) return;
    this.engine.cancel(q.flushEvent);
    q.flushEvent = null;
    q.head = q.tail = q.requests = 0;
    q.sealed.length = 0;
    q.sealedAt.length = 0;
    this.engine.cancel(q.wake);
    q.wake = null;
    q.cpuFreeAt = 0;
    q.cpuCharged = 0;
    slot.backlog = 0;
  }

  flush(slot: ConnectionSlot): void {
    const q = this.queue(slot);
    this.engine.cancel(q.flushEvent);
    q.flushEvent = null;
    const sock = slot.socket;
    if (!sock) return;
    const n = q.pending;
    if (n > 0) {
      const requests = q.requests;
      q.requests = 0;
      this.batches++;
      if (slot.tls?.open) {
        this.pushRecord(slot, q, slot.tls.seal(q.buf.subarray(q.head, q.tail)));
        q.head = q.tail = 0;
      } else {
        const sent = sock.send(q.buf.subarray(q.head, q.tail));
        q.head += sent;
        if (q.head === q.tail) q.head = q.tail = 0;
        if (sent < n) this.shortSends++;
      }
      slot.bytesSent += n;
      if (this.frames$.observed) {
        const f = this.frame;
        f.t = this.engine.now; f.conn = slot.index; f.bytes = n; f.requests = requests; f.tls = slot.tls !== null;
        this.frames$.next(f);
      }
    }
    this.pushSealed(slot, q);
    const before = slot.backlog;
    slot.backlog = q.pending + sealedBytes(q);
    if (before > 0 && slot.backlog === 0) this.onDrained(slot);
  }

  /**
   * Queues a TLS record behind the CPU time it cost (handshake key schedule and MACs, AES-GCM per
   * byte): records leave in order, each once the connection's TLS work before it is done.
   */
  private pushRecord(slot: ConnectionSlot, q: TxQueue, rec: Uint8Array): void {
    const spent = slot.tls ? slot.tls.cpuNs - slot.tls.rxCpuNs - q.cpuCharged : 0;
    q.cpuCharged += spent;
    const at = Math.max(this.engine.now, q.cpuFreeAt) + spent;
    q.cpuFreeAt = at;
    q.sealed.push(rec);
    q.sealedAt.push(at);
  }

  private pushSealed(slot: ConnectionSlot, q: TxQueue): void {
    const sock = slot.socket;
    while (sock && q.sealed.length > 0) {
      if (q.sealedAt[0]! > this.engine.now) {
        if (q.wake === null) q.wake = this.engine.scheduleAt(q.sealedAt[0]!, () => { q.wake = null; this.flush(slot); }, 'nbd.tls.cpu');
        return;
      }
      const rec = q.sealed[0]!;
      const sent = sock.send(rec);
      if (sent < rec.length) {
        q.sealed[0] = rec.subarray(sent);
        this.shortSends++;
        return;
      }
      q.sealed.shift();
      q.sealedAt.shift();
    }
  }
}

function sealedBytes(q: TxQueue): number {
  let n = 0;
  for (let i = 0; i < q.sealed.length; i++) n += q.sealed[i]!.length;
  return n;
}
