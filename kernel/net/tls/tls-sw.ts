import { NO_BUGS, type Bugs } from '../../../hw-sim/engine/bugs.ts';
import type { NetClock, TimerHandle } from '../clock.ts';
import { RecordBuffer } from './rx-buffer.ts';
import { TLS_NS_PER_BYTE, type TlsCpu, type TlsLower, type TlsUpper } from './types.ts';
import { openRecord, sealRecord, TLS_HEADER, TLS_MAX_BODY, TLS_MAX_PLAINTEXT, TLS_RECORD, type TlsCryptoInfo } from './record.ts';

const EMPTY = new Uint8Array(0);

/**
 * Kernel TLS on one stream socket (Linux net/tls, tls_sw): after TLS_TX, send() fills the open
 * record with plaintext; the record is sealed on push (no MSG_MORE and not corked, uncork, or no
 * room for more) and waits in the layer for the CPU time its encryption costs, records in order,
 * one after the other, then goes into TCP. After TLS_RX, received bytes are split into records,
 * each opened and handed up once its CPU time has passed. The layer's bytes count against the
 * send buffer, so a sender sees the room TCP has less what the layer holds.
 */
export class TlsSw {
  private tx: TlsCryptoInfo | null = null;
  private rx: TlsCryptoInfo | null = null;
  private open = new Uint8Array(64 * 1024);
  private openLen = 0;
  /** Sealed records not yet (fully) in TCP, the time each is ready, and how much of the head TCP took. */
  private readonly sealed: Uint8Array[] = [];
  private readonly readyAt: number[] = [];
  /** Trace context of each sealed record: [offset in the record, request id] pairs, or null. */
  private readonly marks: (number[] | null)[] = [];
  /** ... of the open record, by plaintext offset. */
  private openMarks: number[] | null = null;
  private headOff = 0;
  /** Index in marks[0] of the head record's next mark not yet given to TCP. */
  private headMark = 0;
  private sealedBytes = 0;
  /** The connection's record work is serialised: when the CPU is free for the next record, each way. */
  private txFreeAt = 0;
  private rxFreeAt = 0;
  private wake: TimerHandle | null = null;
  private corked = false;
  /** The owner saw no room: tell it when there is some. */
  private ownerWaits = false;
  private closing: (() => void) | null = null;
  private dead = false;
  /** Closed by the owner: opened records are no longer handed up. */
  private rxShut = false;
  private readonly rq = new RecordBuffer();
  readonly stats = { recordsSealed: 0, bytesSealed: 0, recordsOpened: 0, bytesOpened: 0, txCpuNs: 0, rxCpuNs: 0 };
  private readonly onWake = (): void => {
    this.wake = null;
    this.pushSealed();
    this.notifyOwner();
  };

  constructor(
    private readonly lower: TlsLower,
    private readonly clock: NetClock,
    private readonly cpu: TlsCpu | null,
    private readonly upper: TlsUpper,
    private readonly bugs: Bugs = NO_BUGS,
  ) {}

  /** TLS_TX: from now on sends are plaintext sealed into records. */
  setTx(ci: TlsCryptoInfo): void {
    this.tx = ci;
  }

  /** TLS_RX: from now on received bytes are records; `rest` came after the handshake's last record. */
  setRx(ci: TlsCryptoInfo, rest: Uint8Array = EMPTY): void {
    this.rx = ci;
    if (rest.length > 0) this.input(rest);
  }

  /** Plaintext bytes the layer holds (open record, sealed records not yet in TCP). */
  get held(): number {
    return this.openLen + this.sealedBytes;
  }

  /**
   * Trace context: the plaintext sent from now on is request `rid`'s. AES-GCM keeps lengths, so
   * the mark lands on the same byte of the record (a record that starts with it: on its header).
   */
  markRequest(rid: number): void {
    if (!this.tx) return this.lower.markRequest?.(rid);
    const at = this.openLen === 0 ? 0 : TLS_HEADER + this.openLen;
    (this.openMarks ??= []).push(at, rid);
  }

  /** Room for plaintext: TCP's room less what the layer holds. Zero marks the owner as waiting for room. */
  get writable(): number {
    const r = this.room();
    if (r === 0 && !this.dead) this.waitForRoom();
    return r;
  }

  /**
   * Takes up to `len` bytes; answers how many (fewer: no room, wait for writable()). `more`
   * (MSG_MORE) or a cork keeps the record open for what follows.
   */
  send(data: Uint8Array, off: number, len: number, more = false): number {
    if (this.dead || this.closing) return 0;
    if (!this.tx) return this.lower.send(data, off, len, more);
    let taken = 0;
    while (taken < len) {
      const k = Math.min(len - taken, this.room(), TLS_MAX_PLAINTEXT - this.openLen);
      if (k === 0) break;
      this.append(data, off + taken, k);
      taken += k;
      if (this.openLen === TLS_MAX_PLAINTEXT) this.pushOpen();
    }
    if (taken < len) {
      // No room for more of this record: it goes as it is, and the owner waits.
      this.pushOpen();
      this.waitForRoom();
    } else if (!more && !this.corked) {
      this.pushOpen();
    }
    return taken;
  }

  /** send() of all of `head` with MSG_MORE, then of `data`'s range: TcpSocket.sendv through the record layer. */
  sendv(head: Uint8Array, data: Uint8Array, off = 0, len = data.length - off, more = false): number {
    const h = head.length;
    const n = this.send(head, 0, h, true);
    return n < h ? n : n + this.send(data, off, len, more);
  }

  /** TCP_CORK: while on, the open record takes what is sent; off pushes it. */
  setCork(on: boolean): void {
    this.corked = on;
    if (!on && this.tx) this.pushOpen();
    this.lower.setCork(on);
  }

  /** TCP has room again (its write-space callback). */
  writeSpace(): void {
    if (this.dead) return;
    this.pushSealed();
    this.notifyOwner();
  }

  /** Bytes from TCP, in order; the view is valid during the call only. */
  input(chunk: Uint8Array): void {
    if (this.dead) return;
    if (!this.rx) return this.upper.data(chunk);
    const q = this.rq;
    q.push(chunk);
    while (q.length >= TLS_HEADER) {
      const len = q.u32(1);
      if (len > TLS_MAX_BODY) return this.fail(`tls: record of ${len} bytes exceeds 32 MiB`);
      if (q.length < TLS_HEADER + len) break;
      const type = q.u8(0);
      const body = q.take(TLS_HEADER, len);
      if (type === TLS_RECORD.ALERT) return this.fail(`tls: peer alert: ${Buffer.from(body).toString('utf8')}`);
      if (type !== TLS_RECORD.APP_DATA) return this.fail(`tls: unexpected record type ${type} after the handshake`);
      const plain = openRecord(this.rx, body, !this.bugs.has('tls-tag-unchecked'));
      if (plain === null) return this.fail(`tls: record ${this.rx.seq - 1} fails authentication`);
      this.deliver(plain);
    }
  }

  /** Orderly close: the open record is pushed, then `done` (TCP's close) once every record is in TCP. */
  close(done: () => void): void {
    this.rxShut = true;
    if (this.tx && !this.dead) this.pushOpen();
    if (this.sealed.length === 0 || this.dead) done();
    else this.closing = done;
  }

  /** The socket is gone (reset): nothing more goes out or comes up. */
  drop(): void {
    this.dead = true;
    if (this.wake !== null) this.clock.cancel(this.wake);
    this.wake = null;
    this.sealed.length = 0;
    this.readyAt.length = 0;
    this.marks.length = 0;
    this.openMarks = null;
    this.sealedBytes = this.openLen = this.headOff = this.headMark = 0;
  }

  private room(): number {
    const r = this.lower.writable - this.openLen - this.sealedBytes;
    return r > 0 ? r : 0;
  }

  private waitForRoom(): void {
    this.ownerWaits = true;
    this.lower.wantWritable();
  }

  private notifyOwner(): void {
    if (!this.ownerWaits || this.dead) return;
    if (this.room() === 0) return this.lower.wantWritable();
    this.ownerWaits = false;
    this.upper.writable();
  }

  private append(data: Uint8Array, off: number, len: number): void {
    if (this.openLen + len > this.open.length) {
      const bigger = new Uint8Array(Math.max(this.open.length * 2, this.openLen + len));
      bigger.set(this.open.subarray(0, this.openLen));
      this.open = bigger;
    }
    this.open.set(data.subarray(off, off + len), this.openLen);
    this.openLen += len;
  }

  /** Seals the open record; it leaves once the connection's record work before it and its own is done. */
  private pushOpen(): void {
    if (this.openLen === 0) return;
    // A mark after the last byte belongs to the next record.
    const m = this.openMarks;
    let carry: number[] | null = null;
    while (m !== null && m.length > 0 && m[m.length - 2] === TLS_HEADER + this.openLen) {
      (carry ??= []).unshift(0, m[m.length - 1]!);
      m.length -= 2;
    }
    const rec = sealRecord(this.tx!, this.open.subarray(0, this.openLen));
    const cost = this.spend(this.openLen);
    this.stats.recordsSealed++;
    this.stats.bytesSealed += this.openLen;
    this.stats.txCpuNs += cost;
    this.openLen = 0;
    const at = Math.max(this.clock.now(), this.txFreeAt) + cost;
    this.txFreeAt = at;
    this.sealed.push(rec);
    this.readyAt.push(at);
    this.marks.push(m !== null && m.length > 0 ? m : null);
    this.openMarks = carry;
    this.sealedBytes += rec.length;
    this.pushSealed();
  }

  /** Hands TCP every record whose sealing is done, in order, as far as TCP takes them. */
  private pushSealed(): void {
    const now = this.clock.now();
    while (this.sealed.length > 0) {
      const at = this.readyAt[0]!;
      if (at > now) {
        if (this.wake === null) this.wake = this.clock.schedule(at - now, this.onWake, 'tls.sealed');
        return;
      }
      // TCP is full: its write space brings the rest (a short send asks for it).
      if (!this.sendHead()) return;
      this.sealed.shift();
      this.readyAt.shift();
      this.marks.shift();
      this.headOff = this.headMark = 0;
    }
    const done = this.closing;
    this.closing = null;
    done?.();
  }

  /**
   * Gives TCP the rest of the head record, its trace marks at their bytes (the pieces before a
   * mark with MSG_MORE, so marks never change the segments); false when TCP took only part.
   */
  private sendHead(): boolean {
    const rec = this.sealed[0]!;
    const m = this.marks[0]!;
    for (;;) {
      if (m !== null && this.headMark < m.length && m[this.headMark] === this.headOff) {
        this.lower.markRequest?.(m[this.headMark + 1]!);
        this.headMark += 2;
        continue;
      }
      const end = m !== null && this.headMark < m.length ? m[this.headMark]! : rec.length;
      const n = this.lower.send(rec, this.headOff, end - this.headOff, end < rec.length);
      this.sealedBytes -= n;
      this.headOff += n;
      if (this.headOff < end) return false;
      if (end === rec.length) return true;
    }
  }

  private deliver(plain: Uint8Array): void {
    const cost = this.spend(plain.length);
    this.stats.recordsOpened++;
    this.stats.bytesOpened += plain.length;
    this.stats.rxCpuNs += cost;
    const now = this.clock.now();
    const at = Math.max(now, this.rxFreeAt) + cost;
    this.rxFreeAt = at;
    this.clock.schedule(at - now, () => { if (!this.dead && !this.rxShut) this.upper.data(plain); }, 'tls.opened');
  }

  private spend(bytes: number): number {
    const ns = Math.ceil(bytes * (this.cpu?.nsPerByte ?? TLS_NS_PER_BYTE));
    this.cpu?.charge(ns);
    return ns;
  }

  private fail(reason: string): void {
    this.drop();
    this.upper.error(reason);
  }
}
