import { DEFAULT_CPU_COSTS } from '../../../hw-sim/cpu/costs.ts';
import { NO_BUGS, type Bugs } from '../../../hw-sim/engine/bugs.ts';
import type { NetClock, TimerHandle } from '../clock.ts';
import { openRecord, sealRecord, TLS_HEADER, TLS_MAX_BODY, TLS_MAX_PLAINTEXT, TLS_RECORD, type TlsCryptoInfo } from './record.ts';

/** AES-GCM per byte when no cost table is given (the default table's). */
export const TLS_NS_PER_BYTE = DEFAULT_CPU_COSTS.aesGcmNsPerByte;

/** Where the record layer's CPU work is charged: the AES-GCM cost per byte and the core that pays it. */
export interface TlsCpu {
  readonly nsPerByte: number;
  charge(ns: number): void;
}

/** The stream below the layer: a TCP socket's send side. */
export interface TlsLower {
  send(data: Uint8Array, off: number, len: number, more: boolean): number;
  /** Room in its send buffer, bytes. */
  readonly writable: number;
  setCork(on: boolean): void;
  /** The layer waits for room: report write space when acknowledgements free some (SOCK_NOSPACE). */
  wantWritable(): void;
}

/** The socket's owner, as the layer reaches it. */
export interface TlsUpper {
  /** Opened application data, in order, once its opening CPU time has passed. */
  data(plain: Uint8Array): void;
  /** A send that was short (or a zero `writable`) has room again. */
  writable(): void;
  /** A received record failed (bad tag, alert, oversize): the connection is unusable (EBADMSG). */
  error(reason: string): void;
}

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
  private headOff = 0;
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
  private rbuf = new Uint8Array(0);
  private rStart = 0;
  private rEnd = 0;
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
    this.buffer(chunk);
    while (this.rEnd - this.rStart >= TLS_HEADER) {
      const b = this.rbuf, at = this.rStart;
      const len = ((b[at + 1]! << 24) | (b[at + 2]! << 16) | (b[at + 3]! << 8) | b[at + 4]!) >>> 0;
      if (len > TLS_MAX_BODY) return this.fail(`tls: record of ${len} bytes exceeds 32 MiB`);
      if (this.rEnd - at < TLS_HEADER + len) break;
      const body = b.subarray(at + TLS_HEADER, at + TLS_HEADER + len);
      this.rStart = at + TLS_HEADER + len;
      if (b[at] === TLS_RECORD.ALERT) return this.fail(`tls: peer alert: ${Buffer.from(body).toString('utf8')}`);
      if (b[at] !== TLS_RECORD.APP_DATA) return this.fail(`tls: unexpected record type ${b[at]} after the handshake`);
      const plain = openRecord(this.rx, body, !this.bugs.has('tls-tag-unchecked'));
      if (plain === null) return this.fail(`tls: record ${this.rx.seq - 1} fails authentication`);
      this.deliver(plain);
    }
    if (this.rStart === this.rEnd) this.rStart = this.rEnd = 0;
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
    this.sealedBytes = this.openLen = this.headOff = 0;
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
      const rec = this.sealed[0]!;
      const n = this.lower.send(rec, this.headOff, rec.length - this.headOff, false);
      this.sealedBytes -= n;
      this.headOff += n;
      // TCP is full: its write space brings the rest (a short send asks for it).
      if (this.headOff < rec.length) return;
      this.sealed.shift();
      this.readyAt.shift();
      this.headOff = 0;
    }
    const done = this.closing;
    this.closing = null;
    done?.();
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

  private buffer(chunk: Uint8Array): void {
    const have = this.rEnd - this.rStart;
    if (this.rEnd + chunk.length > this.rbuf.length) {
      const next = have + chunk.length > this.rbuf.length ? new Uint8Array(Math.max(2 * this.rbuf.length, have + chunk.length, 4096)) : this.rbuf;
      next.set(this.rbuf.subarray(this.rStart, this.rEnd), 0);
      this.rbuf = next;
      this.rStart = 0;
      this.rEnd = have;
    }
    this.rbuf.set(chunk, this.rEnd);
    this.rEnd += chunk.length;
  }

  private fail(reason: string): void {
    this.drop();
    this.upper.error(reason);
  }
}
