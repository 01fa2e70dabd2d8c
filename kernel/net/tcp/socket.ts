import { ipToString } from '../../../hw-sim/net/packet.ts';
import { LazyTimer } from '../clock.ts';
import { NetError, type NetErrorCode } from '../errors.ts';
import type { TcpConfig } from './config.ts';
import type { NetRoute, Tcb, TcpAcceptor, TcpHost } from './tcb.ts';
import { NewReno } from './newreno.ts';
import { RecvBuffer } from './recv-buffer.ts';
import { RttEstimator } from './rtt.ts';
import { SendQueue, type SendChunk } from './send-queue.ts';
import { TxInFlight } from './tx-inflight.ts';
import { TraceMarks } from './trace-marks.ts';
import { isSynchronized, sendsData, type TcpState } from './state.ts';
import { deliver, maybeWindowUpdate } from './deliver.ts';
import { checkPort, positive, segLimit, tcpInfo, type TcpInfo, type TcpSocketOptions } from './options.ts';
import { sendAck, sendRst, sendSyn, tcpOutput } from './output.ts';
import { tcpPush } from './autocork.ts';
import { onKeepaliveTimer, onRtxTimer } from './timers.ts';
import { onProbeTimer } from './probe-timer.ts';

export type { TcpInfo, TcpSocketOptions } from './options.ts';

const MAX_WSCALE = 14;

/**
 * A TCP connection endpoint. Kernel code drives it through methods and hears back through the
 * callback fields (set them before connect()/in onAccept). Sequence state is kept as stream
 * offsets (SYN = -1, first data byte = 0) and wrapped to 32 bits only on the wire.
 */
export class TcpSocket implements Tcb {
  state: TcpState = 'CLOSED';
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /** `a.b.c.d:p>e.f.g.h:q`, for trace records. */
  label = '';

  onConnect: (() => void) | null = null;
  /** In-order bytes; the view is valid only during the call (copy what you keep). */
  onData: ((chunk: Uint8Array) => void) | null = null;
  /** Read-into mode (onData unset): bytes are waiting for read(). */
  onReadable: (() => void) | null = null;
  /** send() had accepted less than offered and there is room again. */
  onWritable: (() => void) | null = null;
  /** The peer closed its side (FIN): no more data will come. */
  onEnd: (() => void) | null = null;
  /** The connection failed: ECONNRESET, ETIMEDOUT or ECONNREFUSED. onClose follows. */
  onError: ((err: NetError) => void) | null = null;
  /**
   * The connection is over: both sides closed (entering TIME_WAIT, whose wait is the kernel's
   * business), or it was reset, timed out or aborted. Fires once, after onError if any.
   */
  onClose: (() => void) | null = null;

  noDelay: boolean;
  cork: boolean;
  keepAlive: boolean;
  keepIdleNs: number;
  keepIntervalNs: number;
  keepCount: number;

  // Send side (stream offsets).
  iss = 0;
  sndUna = -1;
  sndNxt = -1;
  sndMax = -1;
  sndWnd = 0;
  sndWl1 = -2;
  sndWl2 = -2;
  maxSndWnd = 0;
  /** Shift applied to window fields the peer sends. */
  sndWscale = 0;
  peerOfferedWscale = false;
  sndMss = 536;
  /** Largest segment handed to the device (TSO: a multiple of sndMss). */
  maxSeg = 536;
  readonly sndq: SendQueue;
  finQueued = false;
  /** End of the last segment sent shorter than the MSS (Nagle waits while it is unacknowledged). */
  sndSmallEnd = -1;
  /** Payload bytes handed to the device and not yet completed (TCP small queues). */
  txQueued = 0;
  txPackets = 0;
  /** 0 when the device does not report completions. */
  tsqLimit = 0;
  /** Data packets the device has not completed, and the chunks they read. */
  private readonly txInFlight = new TxInFlight();
  tsqThrottled = false;
  autocorked = false;
  writeBlocked = false;

  // Receive side.
  irs = 0;
  rcvq: RecvBuffer;
  /** Shift we apply to the window fields we send. */
  rcvWscale = 0;
  rcvMss = 536;
  peerFinOff = -1;
  finReceived = false;
  rcvAdvRight = 0;
  ackOwed = false;
  rcvUnacked = 0;
  /** Segments still to acknowledge without delay (quickack mode after a loss). */
  quickAcks = 0;
  paused = false;
  delivering = false;

  readonly rtt: RttEstimator;
  readonly cc: NewReno;
  /** Offset whose acknowledgement ends the running RTT sample; -2 when none runs. */
  rttOff = -2;
  rttStartNs = 0;
  retransmits = 0;
  /** Loss probes sent since an ACK last moved SND.UNA (each doubles the next probe timeout). */
  lossProbes = 0;
  persist = false;
  swsOverride = false;
  probes = 0;
  keepProbes = 0;
  lastSendNs = 0;
  lastRecvNs = 0;
  userClosed = false;
  /** Which request's bytes are where in the send stream (only once markRequest was called). */
  traceMarks: TraceMarks | null = null;
  released = false;
  listener: TcpAcceptor | null = null;

  readonly rtxTimer: LazyTimer;
  /** Loss probe timeout (probe.ts): fires well before the RTO on a stalled tail or recovery. */
  readonly probeTimer: LazyTimer;
  readonly delackTimer: LazyTimer;
  readonly keepTimer: LazyTimer;
  readonly closeTimer: LazyTimer;
  readonly cfg: TcpConfig;

  constructor(
    readonly host: TcpHost,
    opts: TcpSocketOptions = {},
  ) {
    const cfg = host.tcpConfig;
    this.cfg = cfg;
    this.noDelay = opts.noDelay ?? false;
    this.cork = opts.cork ?? false;
    this.keepAlive = opts.keepAlive ?? false;
    this.keepIdleNs = opts.keepIdleNs ?? cfg.keepIdleNs;
    this.keepIntervalNs = opts.keepIntervalNs ?? cfg.keepIntervalNs;
    this.keepCount = opts.keepCount ?? cfg.keepCount;
    this.sndq = new SendQueue(536, positive(opts.sndBuf ?? cfg.sndBuf, 'sndBuf'));
    this.rcvq = new RecvBuffer(positive(opts.rcvBuf ?? cfg.rcvBuf, 'rcvBuf'));
    this.rtt = new RttEstimator(cfg.initialRtoNs, cfg.minRtoNs, cfg.maxRtoNs);
    this.cc = new NewReno(536, cfg.initCwndSegs);
    const c = host.clock;
    this.rtxTimer = new LazyTimer(c, () => onRtxTimer(this), 'tcp.rtx');
    this.probeTimer = new LazyTimer(c, () => onProbeTimer(this), 'tcp.probe');
    this.delackTimer = new LazyTimer(c, () => sendAck(this), 'tcp.delack');
    this.keepTimer = new LazyTimer(c, () => onKeepaliveTimer(this), 'tcp.keepalive');
    this.closeTimer = new LazyTimer(c, () => this.destroy(null), 'tcp.timewait');
  }

  /** Active open. Callbacks fire from the engine loop, never from inside this call. */
  connect(addr: number, port: number, localPort = 0): void {
    if (this.state !== 'CLOSED' || this.userClosed) throw new NetError('EISCONN', `socket ${this.label} is already in use`);
    checkPort(port, 'connect');
    const route = this.host.route(addr);
    if (!route) throw new NetError('ENETUNREACH', `no route to ${ipToString(addr)}`);
    this.localAddr = route.localAddr;
    this.localPort = localPort || this.host.ephemeralPort();
    this.remoteAddr = addr;
    this.remotePort = port;
    this.initConnection(route, this.host.newIss());
    this.host.hashConnection(this);
    this.host.stats.tcpActiveOpens++;
    this.setState('SYN_SENT');
    sendSyn(this);
  }

  /**
   * Copies up to `len` bytes into the send buffer; returns how many (0 when full: wait for
   * onWritable). `more` (MSG_MORE): the caller sends the rest of this message at once, so
   * nothing is output now; the next send without it sends header and payload together.
   */
  send(data: Uint8Array, off = 0, len = data.length - off, more = false): number {
    this.checkSend(data, off, len);
    return this.queue(data, off, len, more);
  }

  /**
   * sendmsg with two iovecs: all of `head`, then `len` bytes of `data` at `off`, as
   * send(head, 0, head.length, true) and then send(data, off, len, more), in one call (a reply
   * header and its payload). Returns the bytes taken of the two; a short head is not followed by
   * any of `data`. Both ranges are checked before anything is queued.
   */
  sendv(head: Uint8Array, data: Uint8Array, off = 0, len = data.length - off, more = false): number {
    this.checkSend(data, off, len);
    const h = head.length;
    const n = this.queue(head, 0, h, true);
    return n < h ? n : n + this.queue(data, off, len, more);
  }

  private checkSend(data: Uint8Array, off: number, len: number): void {
    if (this.state === 'CLOSED') throw new NetError(this.userClosed ? 'EPIPE' : 'ENOTCONN', `send on closed socket ${this.label}`);
    if (this.finQueued) throw new NetError('EPIPE', `send after shutdown on ${this.label}`);
    if (off < 0 || len < 0 || off + len > data.length) throw new NetError('EINVAL', `send range ${off}+${len} outside a ${data.length}-byte buffer`);
  }

  /** Copies in what fits and pushes (tcp_push) unless more of the message follows. */
  private queue(data: Uint8Array, off: number, len: number, more: boolean): number {
    const n = this.sndq.append(data, off, len);
    this.host.chargeCopy(n);
    if (n < len) this.writeBlocked = true;
    if (sendsData(this.state) && (!more || n < len)) tcpPush(this);
    return n;
  }

  /**
   * Trace context: the bytes sent from now on belong to block request `rid` (-1: to none), so the
   * segments carrying them name it. Never on the wire.
   */
  markRequest(rid: number): void {
    (this.traceMarks ??= new TraceMarks()).mark(this.sndq.end, rid);
  }

  /** Read-into API: copies up to `len` received bytes; returns the count (0: nothing yet). */
  read(dst: Uint8Array, off = 0, len = dst.length - off): number {
    const n = this.rcvq.read(dst, off, len);
    if (n > 0) maybeWindowUpdate(this);
    return n;
  }

  get readable(): number {
    return this.rcvq.readable;
  }

  /** Room in the send buffer. */
  get writable(): number {
    return this.sndq.free;
  }

  /** Bytes sent and not yet acknowledged plus bytes not yet sent. */
  get unacked(): number {
    return this.sndq.used;
  }

  /** Stops / restarts onData delivery; while paused the receive window fills and closes. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    deliver(this);
  }

  /** Half-close (SHUT_WR): a FIN follows the data already queued. */
  shutdown(): void {
    if (this.finQueued || this.state === 'CLOSED') return;
    // In SYN_SENT the FIN waits for the handshake (send() queues data there too).
    this.finQueued = true;
    if (this.state === 'ESTABLISHED' || this.state === 'SYN_RCVD') this.setState('FIN_WAIT_1');
    else if (this.state === 'CLOSE_WAIT') this.setState('LAST_ACK');
    tcpOutput(this);
  }

  /** Closes: FIN after queued data (or RST when received data was left unread). */
  close(): void {
    if (this.userClosed) return;
    this.userClosed = true;
    this.onData = null;
    this.onReadable = null;
    this.onWritable = null;
    this.onEnd = null;
    this.onConnect = null;
    if (this.state === 'CLOSED') return;
    if (this.state === 'SYN_SENT') {
      this.destroy(null);
      return;
    }
    if (this.rcvq.readable > 0) {
      this.abort();
      return;
    }
    this.shutdown();
  }

  /** Drops the connection with a RST; no error callback (the owner asked). */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'SYN_SENT' && this.state !== 'TIME_WAIT') sendRst(this);
    this.destroy(null);
  }

  setNoDelay(on: boolean): void {
    this.noDelay = on;
    if (on && sendsData(this.state)) tcpOutput(this);
  }

  setCork(on: boolean): void {
    this.cork = on;
    if (!on && sendsData(this.state)) tcpOutput(this);
  }

  setKeepAlive(on: boolean, idleNs = this.keepIdleNs, intervalNs = this.keepIntervalNs, count = this.keepCount): void {
    this.keepAlive = on;
    this.keepIdleNs = positive(idleNs, 'keepIdleNs');
    this.keepIntervalNs = positive(intervalNs, 'keepIntervalNs');
    this.keepCount = positive(count, 'keepCount');
    if (on && isSynchronized(this.state)) this.keepTimer.arm(this.keepIdleNs);
    else this.keepTimer.stop();
  }

  setSendBufferSize(n: number): void {
    this.sndq.limit = positive(n, 'sndBuf');
  }

  /** SO_RCVBUF: only before the connection exists (it fixes the window scale). */
  setRecvBufferSize(n: number): void {
    if (this.state !== 'CLOSED') throw new NetError('EINVAL', `receive buffer of ${this.label} cannot change after connect`);
    this.rcvq = new RecvBuffer(positive(n, 'rcvBuf'));
  }

  info(): TcpInfo {
    return tcpInfo(this);
  }

  /** Sets identity, MSS, window scale and the initial sequence number (both opens). */
  initConnection(route: NetRoute, iss: number): void {
    this.label = `${ipToString(this.localAddr)}:${this.localPort}>${ipToString(this.remoteAddr)}:${this.remotePort}`;
    this.iss = iss >>> 0;
    this.rcvMss = route.mtu - 40;
    this.sndMss = this.rcvMss;
    this.maxSeg = segLimit(this.sndMss, route.gsoMaxBytes);
    this.sndq.setChunkSize(this.maxSeg);
    this.cc.mss = this.sndMss;
    this.cc.cwnd = this.cc.initialWindow;
    this.tsqLimit = route.completesTx ? Math.max(this.cfg.tsqBytes, 2 * 65536) : 0;
    this.sndq.pooling = route.completesTx;
    let ws = 0;
    while (ws < MAX_WSCALE && this.rcvq.capacity >>> ws > 65535) ws++;
    this.rcvWscale = ws;
    this.lastRecvNs = this.host.clock.now();
  }

  /** Applies the peer's SYN options (both must offer window scaling for either to use it). */
  applyPeerSyn(mss: number | undefined, wscale: number | undefined, gsoMaxBytes: number): void {
    this.sndMss = Math.min(this.rcvMss, mss ?? 536);
    this.maxSeg = segLimit(this.sndMss, gsoMaxBytes);
    this.sndq.setChunkSize(this.maxSeg);
    this.cc.mss = this.sndMss;
    this.cc.cwnd = this.cc.initialWindow;
    this.peerOfferedWscale = wscale !== undefined;
    if (wscale === undefined) this.rcvWscale = 0;
    this.sndWscale = wscale === undefined ? 0 : Math.min(wscale, MAX_WSCALE);
  }

  /** A data packet reading `c` goes to the device (before output: a drop completes it at once). */
  trackTx(c: SendChunk): void {
    this.txInFlight.push(c);
  }

  /**
   * A packet of ours left the NIC (tcp_wfree): below the TSQ limit again, send more; an autocorked
   * tail goes now, with whatever joined it since (the TSQ handler's tcp_write_xmit).
   */
  onTxDone(bytes: number, newest: boolean): void {
    this.txQueued -= bytes;
    this.txPackets--;
    const c = this.txInFlight.done(newest);
    if (c !== null) this.sndq.unref(c);
    const pushCorked = this.autocorked && !this.host.bugs.has('autocork-not-pushed');
    if (pushCorked || (this.tsqThrottled && this.txQueued < this.tsqLimit)) {
      this.autocorked = false;
      if (this.txQueued < this.tsqLimit) this.tsqThrottled = false;
      tcpOutput(this);
    }
  }

  setState(to: TcpState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    const wasOpen = from === 'ESTABLISHED' || from === 'CLOSE_WAIT';
    const isOpen = to === 'ESTABLISHED' || to === 'CLOSE_WAIT';
    if (isOpen && !wasOpen) this.host.stats.tcpEstablished++;
    if (wasOpen && !isOpen) this.host.stats.tcpEstablished--;
    this.host.trace('tcp.state', { conn: this.label, from, to });
  }

  /** Tears down; `err` (if any) goes to the owner before onClose. */
  destroy(err: NetErrorCode | null, why = ''): void {
    if (this.released) return;
    this.released = true;
    const wasListed = this.state !== 'CLOSED';
    this.setState('CLOSED');
    this.rtxTimer.cancel();
    this.probeTimer.cancel();
    this.delackTimer.cancel();
    this.keepTimer.cancel();
    this.closeTimer.cancel();
    if (wasListed) this.host.unhashConnection(this);
    if (this.listener) this.listener.childGone(this);
    this.listener = null;
    const onError = this.onError;
    this.onError = null;
    if (err) {
      this.host.trace('tcp.error', { conn: this.label, code: err, why });
      if (onError) onError(new NetError(err, `${why} on ${this.label}`));
    }
    this.notifyClosed();
  }

  /** Calls onClose once. */
  notifyClosed(): void {
    const onClose = this.onClose;
    this.onClose = null;
    this.onError = null;
    if (onClose) onClose();
  }
}
