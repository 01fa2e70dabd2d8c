/**
 * The client's transmission phase over UDP (docs/nbd-extensions.md, "UDP transport"), sans-I/O
 * like the TCP TransmissionSession it stands in for: requests go out as self-describing datagrams
 * (a WRITE payload split within the granted datagram size), replies are reassembled by fragment
 * offset, every request is retransmitted on its adaptive timeout with the next generation. The
 * session keeps no send queue: it takes a request only when it can send it at once (canTake: the
 * window, the socket's room, no overlapping write in flight, no earlier write before a FLUSH);
 * otherwise the driver answers BUSY to blk-mq, which is kicked when `onRoom` reports room again
 * or a reply completes a request. The TCP connection carries only NBD_CMD_DISC.
 *
 * Reassembly rule: a READ's reply fragments are merged across attempts from the first attempt sent
 * with no overlapping write unacknowledged (a server acks a write only once its disk has it, so
 * every later execution returns the same bytes). Restarting the reassembly on every attempt for
 * the rest of a raced READ's life would, at 1-2 % loss, need several full ~90-fragment replies in
 * a row for a 128 KiB READ, each one RTO backoff (capped at 1 s) apart: seconds past the liveness
 * bound (bug udp-raced-read-unsettled; scenario udp-raced-read).
 */
import { encodeRequest } from '../protocol/encode-transmission.ts';
import { hard, type ProtocolError } from '../protocol/errors.ts';
import type { NbdRequest, SubmitError } from '../protocol/request-check.ts';
import type { SessionState, TransmissionHost } from '../protocol/transmission.ts';
import {
  NBD_CMD_CACHE, NBD_CMD_DISC, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES, NBD_ORION_UDP_HEADER_SIZE,
  NBD_ESHUTDOWN, NBD_REQUEST_SIZE,
} from '../protocol/uapi.ts';
import { decodeUdpDatagram, emptyDatagram, encodeUdpHeader, fragmentCount, type UdpGrant } from '../protocol/udp-datagram.ts';
import { RttEstimator } from '../../../kernel/net/tcp/rtt.ts';
import { AimdWindow, DEFAULT_RTO, timeoutFor, type RtoConfig, type WindowConfig } from './udp-control.ts';
import type { UdpCounters } from './udp-stats.ts';

/** The session's UDP socket, connected to the server's granted port. */
export interface DatagramSocket {
  /** Sends `data[0, len)` as one datagram (the socket copies it); false: the send buffer was full. */
  send(data: Uint8Array, len: number): boolean;
  /** Room in the send buffer, bytes (each datagram also costs 28 bytes of IP/UDP headers). */
  readonly writable: number;
  /** Room again after a refused send. */
  onWritable: (() => void) | null;
  /** A datagram from the server; the view is valid during the call. */
  onMessage: ((data: Uint8Array) => void) | null;
  close(): void;
}

export interface UdpClock {
  readonly now: number;
  schedule(delayNs: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

export interface UdpSessionOptions {
  grant: UdpGrant;
  rto?: RtoConfig;
  window: WindowConfig;
  /** Attempts of one request before the session is declared dead. */
  maxAttempts: number;
  counters: UdpCounters;
  /** Any valid datagram arrived (the driver's silence watchdog). */
  onReceive?: () => void;
  /** The device's other sessions (a write on one races a read on another); default: this one alone. */
  peers?: () => Iterable<UdpSession>;
  /** Injected bug udp-raced-read-unsettled: a raced READ never merges attempts again. */
  neverSettle?: boolean;
  /** The socket has room again after a refused send: the driver may offer requests (kicks blk-mq). */
  onRoom?: () => void;
}

/** What canTake needs of a request. */
export type RequestShape = Pick<NbdRequest, 'type' | 'offset' | 'length'>;

interface InFlight {
  req: NbdRequest;
  cookie: number;
  attempt: number;
  /** Virtual time the current attempt left. */
  sentAt: number;
  deadline: number;
  /** Datagrams charged to the window: the request's and its expected reply's. */
  cost: number;
  /** Generation whose reply fragments are being reassembled (-1: none yet), and which arrived. */
  replyGen: number;
  got: Uint8Array | null;
  gotCount: number;
  /**
   * READ only: the first attempt from which every execution returns the same bytes, so fragments of
   * attempts from it on are merged (a large reply under loss completes at last). 0 when no
   * overlapping write was in flight; Infinity while one is (executions may differ, attempts must
   * not be mixed); once the writes are acknowledged, the next attempt sent settles it again.
   */
  settledFrom: number;
}

/** IPv4 + UDP headers a datagram costs in the socket's send buffer. */
const UDP_IP_HEADERS = 28;

const overlaps = (a: RequestShape, b: RequestShape): boolean => a.offset < b.offset + b.length && b.offset < a.offset + a.length;

const isWrite = (t: number): boolean => t === NBD_CMD_WRITE || t === NBD_CMD_WRITE_ZEROES || t === NBD_CMD_TRIM;

export class UdpSession {
  private readonly maxData: number;
  private readonly scratch: Uint8Array;
  private readonly hdr = emptyDatagram();
  private readonly rx = emptyDatagram();
  /** By cookie, in cookie order (a Map keeps insertion order): the first key is the lowest in flight. */
  private readonly inflight = new Map<number, InFlight>();
  private readonly writes: InFlight[] = [];
  private nextCookie = 1;
  private timer: unknown = null;
  private timerAt = Infinity;
  private sessionState: SessionState = 'open';
  private failure: ProtocolError | null = null;
  readonly rtt: RttEstimator;
  private readonly rto: RtoConfig;
  readonly window: AimdWindow;

  constructor(
    private readonly sock: DatagramSocket,
    private readonly host: TransmissionHost,
    private readonly clock: UdpClock,
    private readonly opts: UdpSessionOptions,
  ) {
    this.maxData = opts.grant.datagram - NBD_ORION_UDP_HEADER_SIZE;
    this.scratch = new Uint8Array(opts.grant.datagram);
    const rto = opts.rto ?? DEFAULT_RTO;
    this.rto = rto;
    this.rtt = new RttEstimator(rto.initialNs, rto.minNs, rto.maxNs);
    this.window = new AimdWindow(opts.window);
    this.hdr.tokenHi = opts.grant.tokenHi;
    this.hdr.tokenLo = opts.grant.tokenLo;
    sock.onMessage = (d) => this.receive(d);
    sock.onWritable = () => this.opts.onRoom?.();
  }

  get state(): SessionState {
    return this.sessionState;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  get protocolError(): ProtocolError | null {
    return this.failure;
  }

  submit(req: NbdRequest): SubmitError | null {
    if (this.sessionState !== 'open') return { errno: 'ESHUTDOWN', reason: `session is ${this.sessionState}` };
    if (req.type !== NBD_CMD_READ && req.type !== NBD_CMD_FLUSH && req.type !== NBD_CMD_CACHE && !isWrite(req.type)) {
      return { errno: 'EOPNOTSUPP', reason: `command ${req.type} is not carried by the UDP transport` };
    }
    if ((req.type === NBD_CMD_READ || req.type === NBD_CMD_WRITE) && (!req.data || req.data.length < req.length)) {
      return { errno: 'EINVAL', reason: `${req.length}-byte request without its buffer` };
    }
    if (!this.canTake(req)) {
      throw new Error(`udp session: request (command ${req.type}, ${req.length} bytes at ${req.offset}) submitted while it cannot be sent now; offer only what canTake accepts`);
    }
    req.error = 0;
    this.send(req);
    return null;
  }

  /**
   * The request can be sent now: the session is open, no write it must follow is in flight, the
   * window admits its datagrams and the socket's send buffer holds them whole.
   */
  canTake(req: RequestShape): boolean {
    return this.sessionState === 'open' && !this.blocked(req) && this.window.admits(this.costOf(req)) && this.sock.writable >= this.bytesOf(req);
  }

  /** Some request could be sent now (the cheapest: one datagram out, one back). */
  get hasRoom(): boolean {
    return this.sessionState === 'open' && this.window.admits(2) && this.sock.writable >= NBD_ORION_UDP_HEADER_SIZE + UDP_IP_HEADERS;
  }

  /** TCP bytes after the handshake: the server must send none in UDP mode. */
  feed(bytes: Uint8Array): ProtocolError | null {
    if (bytes.length > 0) this.die(hard('unexpected-reply', 'udp.tcp', `${bytes.length} bytes on TCP while transmission is on UDP`));
    return this.failure;
  }

  detachInput(): void {}

  disconnect(): void {
    if (this.sessionState !== 'open') return;
    this.setState('draining', null);
    this.maybeSendDisc();
  }

  abort(): NbdRequest[] {
    const out = [...this.inflight.values()].map((e) => e.req);
    this.inflight.clear();
    this.writes.length = 0;
    this.window.inFlight = 0;
    this.stop();
    if (this.sessionState !== 'dead') this.sessionState = 'disconnected';
    return out;
  }

  // ---- send side -------------------------------------------------------------------------

  /** Sends a request canTake accepted (whole requests into the socket). */
  private send(req: NbdRequest): void {
    const cost = this.costOf(req);
    const e: InFlight = { req, cookie: this.nextCookie++, attempt: 0, sentAt: 0, deadline: 0, cost, replyGen: -1, got: null, gotCount: 0, settledFrom: 0 };
    const peers = this.opts.peers?.() ?? [this];
    if (req.type === NBD_CMD_READ) for (const p of peers) if (p.writeOverlapping(req)) e.settledFrom = Infinity;
    if (isWrite(req.type)) for (const p of peers) p.markRaced(req);
    this.inflight.set(e.cookie, e);
    if (isWrite(req.type)) this.writes.push(e);
    this.window.onSend(cost);
    this.transmit(e);
  }

  /** An overlapping write of this session is in flight. */
  writeOverlapping(req: NbdRequest): boolean {
    return this.writes.some((w) => overlaps(w.req, req));
  }

  /** A write overlapping `req` is being sent (here or on another connection): reads in flight over it are raced. */
  markRaced(req: NbdRequest): void {
    for (const r of this.inflight.values()) if (r.req.type === NBD_CMD_READ && overlaps(r.req, req)) r.settledFrom = Infinity;
  }

  /** A write overlapping `req` is in flight on any of the device's sessions. */
  private racedNow(req: NbdRequest): boolean {
    for (const p of this.opts.peers?.() ?? [this]) if (p.writeOverlapping(req)) return true;
    return false;
  }

  /** A FLUSH waits for every earlier write; a write for every overlapping write in flight. */
  private blocked(req: RequestShape): boolean {
    if (req.type === NBD_CMD_FLUSH) return this.writes.length > 0;
    if (!isWrite(req.type)) return false;
    return this.writes.some((w) => overlaps(w.req, req));
  }

  private costOf(req: RequestShape): number {
    const out = req.type === NBD_CMD_WRITE ? fragmentCount(req.length, this.maxData) : 1;
    const back = req.type === NBD_CMD_READ ? fragmentCount(req.length, this.maxData) : 1;
    return out + back;
  }

  /** Send-buffer bytes of a request's datagrams (headers included). */
  private bytesOf(req: RequestShape): number {
    const n = req.type === NBD_CMD_WRITE ? fragmentCount(req.length, this.maxData) : 1;
    return n * (NBD_ORION_UDP_HEADER_SIZE + UDP_IP_HEADERS) + (req.type === NBD_CMD_WRITE ? req.length : 0);
  }

  private transmit(e: InFlight): void {
    const r = e.req;
    if (e.settledFrom === Infinity && !this.opts.neverSettle && !this.racedNow(r)) e.settledFrom = e.attempt; // the raced writes are acknowledged
    const h = this.hdr;
    h.flags = r.flags;
    h.type = r.type;
    h.cookie = e.cookie;
    h.offset = r.offset;
    h.length = r.length;
    h.generation = e.attempt;
    h.ackedBelow = this.lowestInFlight();
    const c = this.opts.counters;
    const n = r.type === NBD_CMD_WRITE ? fragmentCount(r.length, this.maxData) : 1;
    h.fragCount = n;
    for (let i = 0; i < n; i++) {
      h.fragOffset = i * this.maxData;
      encodeUdpHeader(this.scratch, 0, h);
      let len = NBD_ORION_UDP_HEADER_SIZE;
      if (r.type === NBD_CMD_WRITE && r.length > 0) {
        const piece = r.data!.subarray(h.fragOffset, Math.min(r.length, h.fragOffset + this.maxData));
        this.scratch.set(piece, len);
        len += piece.length;
      }
      if (!this.sock.send(this.scratch, len)) {
        c.sendRefused++; // a retransmission into a full send buffer: its timeout sends it again
        continue;
      }
      c.datagramsSent++;
      c.bytesSent += len;
    }
    e.sentAt = this.clock.now;
    e.deadline = e.sentAt + timeoutFor(this.rtt, this.rto, e.attempt);
    this.arm(e.deadline);
  }

  private lowestInFlight(): number {
    for (const k of this.inflight.keys()) return k;
    return this.nextCookie;
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timerAt = at;
    this.timer = this.clock.schedule(Math.max(0, at - this.clock.now), () => this.expire());
  }

  private expire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now;
    let next = Infinity;
    for (const e of this.inflight.values()) {
      if (e.deadline <= now) {
        if (e.attempt + 1 >= this.opts.maxAttempts) {
          this.die(hard('eof', 'udp.retransmit', `no reply to cookie ${e.cookie} after ${this.opts.maxAttempts} attempts`));
          return;
        }
        this.opts.counters.timeouts++;
        this.opts.counters.retransmissions++;
        this.window.onLoss(now, this.rtt.srttNs);
        e.attempt++;
        this.transmit(e);
      }
      next = Math.min(next, e.deadline);
    }
    if (next < Infinity) this.arm(next);
  }

  private stop(): void {
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    this.sock.onMessage = null;
    this.sock.onWritable = null;
    this.sock.close();
  }

  // ---- receive side ----------------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    if (this.sessionState === 'dead' || this.sessionState === 'disconnected') return;
    const c = this.opts.counters;
    const d = this.rx;
    const bad = decodeUdpDatagram(bytes, true, d);
    if (bad !== null || d.tokenHi !== this.hdr.tokenHi || d.tokenLo !== this.hdr.tokenLo) {
      c.malformed++;
      return;
    }
    c.datagramsReceived++;
    c.bytesReceived += bytes.length;
    this.opts.onReceive?.();
    const e = this.inflight.get(d.cookie);
    if (!e) {
      c.duplicates++; // its request is complete: a duplicate or a late answer to an earlier attempt
      return;
    }
    const r = e.req;
    if (d.type !== r.type || d.offset !== r.offset || d.length !== r.length || d.generation > e.attempt) {
      c.malformed++;
      return;
    }
    if (d.error === NBD_ESHUTDOWN) {
      this.die(hard('shutdown', 'udp.token', `the server does not know this session (cookie ${d.cookie}): it restarted or closed the connection`));
      return;
    }
    if (d.generation < e.replyGen && (e.req.type !== NBD_CMD_READ || d.generation < e.settledFrom)) {
      c.stale++;
      return;
    }
    if (r.type === NBD_CMD_READ && d.error === 0) {
      const n = fragmentCount(r.length, this.maxData);
      if (d.fragCount !== n || d.fragOffset % this.maxData !== 0 || d.data.length !== Math.min(this.maxData, r.length - d.fragOffset)) {
        c.malformed++;
        return;
      }
      if (!e.got || (d.generation > e.replyGen && e.replyGen < e.settledFrom)) {
        // A newer attempt's answer restarts the reassembly when the bytes held may differ from it.
        e.got = new Uint8Array(n);
        e.gotCount = 0;
      }
      e.replyGen = Math.max(e.replyGen, d.generation);
      const i = d.fragOffset / this.maxData;
      if (e.got[i]) {
        c.duplicates++;
        return;
      }
      r.data!.set(d.data, d.fragOffset);
      e.got[i] = 1;
      e.gotCount++;
      if (e.gotCount < n) return;
    }
    this.finish(e, d.error, d.generation);
  }

  private finish(e: InFlight, error: number, gen: number): void {
    this.inflight.delete(e.cookie);
    if (isWrite(e.req.type)) this.writes.splice(this.writes.indexOf(e), 1);
    if (gen === e.attempt) this.rtt.sample(this.clock.now - e.sentAt);
    this.window.onDone(e.cost, e.attempt === 0);
    this.opts.counters.completed++;
    e.req.error = error;
    this.host.complete(e.req); // the driver's completion offers what blk-mq holds back (BUSY)
    this.maybeSendDisc();
  }

  private maybeSendDisc(): void {
    if (this.sessionState !== 'draining' || this.inflight.size > 0) return;
    const disc = new Uint8Array(NBD_REQUEST_SIZE);
    encodeRequest(disc, 0, 0, NBD_CMD_DISC, 0, 0, 0, 0);
    this.host.send(disc);
    this.stop();
    this.setState('disconnected', null);
  }

  private die(err: ProtocolError): void {
    if (this.sessionState === 'dead') return;
    this.failure = err;
    this.stop();
    this.setState('dead', err);
  }

  private setState(st: SessionState, why: ProtocolError | null): void {
    this.sessionState = st;
    this.host.stateChanged?.(st, why);
  }
}
