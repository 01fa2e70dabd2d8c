import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type Packet, type TcpHeader } from '../../../hw-sim/net/packet.ts';
import type { Tcb } from './tcb.ts';
import { sendsData } from './state.ts';
import { armProbe } from './probe.ts';

const EMPTY = new Uint8Array(0);

/** Sequence number of a send-side stream offset (SYN = -1), as int32 bits like a packet's (packet.ts; the wire value is `>>> 0`). */
export function sndSeq(s: Tcb, off: number): number {
  return (s.iss + 1 + off) | 0;
}

/** Sequence number of a receive-side stream offset, as int32 bits like a packet's. */
export function rcvSeq(s: Tcb, off: number): number {
  return (s.irs + 1 + off) | 0;
}

/** What we acknowledge: every byte in order, plus the peer's FIN once it arrived. */
export function rcvNxtAll(s: Tcb): number {
  return s.rcvq.rcvNxt + (s.finReceived ? 1 : 0);
}

/** Builds and sends one segment; every segment but the first SYN carries our ACK and window. */
function emit(s: Tcb, off: number, payload: Uint8Array, flags: number, gsoSize: number): void {
  const syn = (flags & TCP_SYN) !== 0;
  let window: number;
  if (syn) {
    window = Math.min(s.rcvq.window, 65535);
    s.rcvAdvRight = s.rcvq.rcvNxt + window;
  } else {
    window = Math.min(s.rcvq.window >>> s.rcvWscale, 65535);
    s.rcvAdvRight = s.rcvq.rcvNxt + window * (1 << s.rcvWscale);
  }
  if ((flags & TCP_ACK) !== 0) {
    s.ackOwed = false;
    s.rcvUnacked = 0;
    s.delackTimer.stop();
  }
  const seq = sndSeq(s, off);
  const ack = (flags & TCP_ACK) !== 0 ? rcvSeq(s, rcvNxtAll(s)) : 0;
  // A segment without SYN options is its own header (packet.ts: one object per packet); a SYN's
  // options are a header object of their own, its packet's header fields unread but present, so
  // every packet the stack sends has one shape and the device's reads of it stay monomorphic.
  // `rids` is always a field (undefined unless traced), so traced and untraced packets share one shape.
  const p: Packet & TcpHeader = { src: s.localAddr, dst: s.remoteAddr, proto: IPPROTO_TCP, ipId: 0, ttl: 64, tcp: undefined, payload, gsoSize, corrupt: false, tapNs: -1, rids: undefined,
    sport: s.localPort, dport: s.remotePort, seq, ack, flags, window };
  p.tcp = syn ? synHeader(s, seq, ack, flags, window) : p;
  if (s.traceMarks !== null && payload.length > 0) p.rids = s.traceMarks.ridsIn(off, off + payload.length);
  s.host.stats.tcpOutSegs += gsoSize > 0 ? Math.ceil(payload.length / gsoSize) : 1;
  s.lastSendNs = s.host.clock.now();
  if (payload.length > 0 && s.tsqLimit > 0) {
    s.txQueued += payload.length;
    s.txPackets++;
    // Before output: a packet dropped on the way down is reported done at once.
    s.trackTx(s.sndq.lastChunk!);
    s.host.output(p, s);
  } else {
    s.host.output(p);
  }
}

function synHeader(s: Tcb, seq: number, ack: number, flags: number, window: number): TcpHeader {
  const h: TcpHeader = { sport: s.localPort, dport: s.remotePort, seq, ack, flags, window, mss: s.rcvMss };
  // Offer window scaling on a SYN; answer it on a SYN-ACK only if the peer offered it.
  if (s.state === 'SYN_SENT' || s.peerOfferedWscale) h.wscale = s.rcvWscale;
  return h;
}

/** SYN (active open) or SYN-ACK (passive), first transmission or retransmission. */
export function sendSyn(s: Tcb): void {
  const flags = s.state === 'SYN_SENT' ? TCP_SYN : TCP_SYN | TCP_ACK;
  if (s.sndMax >= 0) {
    s.retransmits++;
    s.host.stats.tcpRetransSegs++;
    s.rttOff = -2;
  } else {
    s.rttOff = 0;
    s.rttStartNs = s.host.clock.now();
  }
  emit(s, -1, EMPTY, flags, 0);
  s.sndNxt = 0;
  s.sndMax = 0;
  s.persist = false;
  if (!s.rtxTimer.armed) s.rtxTimer.arm(s.rtt.rtoNs);
}

/**
 * The sequence number of a segment without data: snd.max, not snd.nxt. After a timeout snd.nxt
 * is rewound to snd.una while the peer may already hold everything up to snd.max; a pure ACK
 * below its rcv.nxt would be dropped unread and both ends could retransmit for ever. Clamped to
 * the right edge of the peer's window, as Linux's tcp_acceptable_seq.
 */
function acceptableSeq(s: Tcb): number {
  const wndEnd = s.sndUna + s.sndWnd;
  return s.sndMax <= wndEnd ? Math.max(s.sndMax, s.sndNxt) : Math.max(wndEnd, s.sndNxt);
}

export function sendAck(s: Tcb): void {
  if (s.state === 'CLOSED' || s.state === 'SYN_SENT') return;
  emit(s, acceptableSeq(s), EMPTY, TCP_ACK, 0);
}

/** A segment below the window (seq = snd.una - 1) that any live peer must answer with an ACK. */
export function sendProbe(s: Tcb): void {
  emit(s, s.sndUna - 1, EMPTY, TCP_ACK, 0);
}

export function sendRst(s: Tcb): void {
  s.host.stats.tcpOutRsts++;
  emit(s, acceptableSeq(s), EMPTY, TCP_RST | TCP_ACK, 0);
}

/** Sends [off, off + len) of the send queue, with FIN if it ends the stream after shutdown(). */
function sendData(s: Tcb, off: number, len: number): number {
  const end = off + len;
  const dataEnd = s.sndq.end;
  let flags = TCP_ACK;
  if (end === dataEnd) flags |= TCP_PSH | (s.finQueued ? TCP_FIN : 0);
  const payload = len > 0 ? s.sndq.view(off, len) : EMPTY;
  if (len > 0 && len % s.sndMss !== 0) s.sndSmallEnd = end;
  if (off < s.sndMax) {
    if (len > 0) s.sndq.markResent(off);
    const segs = len > s.sndMss ? Math.ceil(len / s.sndMss) : 1;
    s.retransmits += segs;
    s.host.stats.tcpRetransSegs += segs;
    if (s.rttOff > off) s.rttOff = -2; // Karn: never time a retransmitted segment.
  } else if (s.rttOff === -2) {
    s.rttOff = end;
    s.rttStartNs = s.host.clock.now();
  }
  emit(s, off, payload, flags, len > s.sndMss ? s.sndMss : 0);
  return (flags & TCP_FIN) !== 0 ? end + 1 : end;
}

/**
 * One new segment beyond the congestion window, the peer's window permitting: limited transmit
 * (RFC 3042) on the first two duplicate ACKs, and the tail loss probe. Returns whether it sent.
 */
export function sendNewSegment(s: Tcb): boolean {
  const avail = s.sndq.end - s.sndNxt;
  if (avail <= 0 || s.sndNxt < s.sndMax) return false;
  const len = Math.min(avail, s.sndUna + s.sndWnd - s.sndNxt, s.sndMss, s.sndq.contiguous(s.sndNxt));
  if (len <= 0) return false;
  s.sndNxt = sendData(s, s.sndNxt, len);
  s.sndMax = s.sndNxt;
  return true;
}

export function limitedTransmit(s: Tcb): void {
  sendNewSegment(s);
}

/** Resends the first unacknowledged segment (fast retransmit, partial ACK). */
export function retransmitHead(s: Tcb): void {
  if (s.sndUna < 0) {
    sendSyn(s);
    return;
  }
  retransmitAt(s, s.sndUna);
}

/** Resends the last segment sent (the tail loss probe when there is nothing new). */
export function retransmitTail(s: Tcb): void {
  const dataEnd = s.sndq.end;
  const top = s.sndMax > dataEnd ? dataEnd : s.sndMax;
  retransmitAt(s, Math.max(s.sndUna, top - s.sndMss));
}

/** Resends up to one segment from `off` (with the FIN if it reaches the end after shutdown). */
function retransmitAt(s: Tcb, off: number): void {
  const dataEnd = s.sndq.end;
  const len = off >= dataEnd ? 0 : Math.min(s.sndMss, s.sndq.contiguous(off), dataEnd - off);
  const next = sendData(s, off, len);
  if (s.sndNxt < next) s.sndNxt = next;
  if (s.sndMax < next) s.sndMax = next;
}

/**
 * Sends what the windows allow: MSS segmentation (one offload packet per maxSeg), Nagle, cork,
 * sender-side silly-window avoidance, FIN after the last byte; then arms retransmit or persist.
 * `limit`: send nothing at or beyond this stream offset (an autocorked tail, autocork.ts); -1:
 * no limit (a small integer, where MAX_SAFE_INTEGER was a boxed double compared per segment).
 */
export function tcpOutput(s: Tcb, limit = -1): void {
  if (!startOutput(s)) return;
  const mss = s.sndMss;
  const cc = s.cc;
  for (;;) {
    const dataEnd = s.sndq.end;
    const avail = (limit >= 0 && limit < dataEnd ? limit : dataEnd) - s.sndNxt;
    if (avail <= 0) {
      if (s.finQueued && s.sndNxt === dataEnd) {
        s.sndNxt = sendData(s, dataEnd, 0);
        if (s.sndMax < s.sndNxt) s.sndMax = s.sndNxt;
      }
      break;
    }
    const room = s.sndUna + Math.min(s.sndWnd, cc.cwnd) - s.sndNxt;
    let len = Math.min(avail, room, s.maxSeg, s.sndq.contiguous(s.sndNxt));
    if (len <= 0) break;
    if (s.tsqLimit > 0 && s.txQueued >= s.tsqLimit) {
      s.tsqThrottled = true; // resumed from onTxDone
      break;
    }
    // Cork, and Nagle while a small segment is unacknowledged (Minshall's variant, as Linux:
    // full segments in flight do not hold back the tail of a bulk write for an ACK that the
    // peer may delay), hold back a partial last segment (an offload packet ending in one sends
    // only its full segments).
    if (len === avail && !s.finQueued && (s.cork || (!s.noDelay && s.sndSmallEnd > s.sndUna))) {
      if (len < mss) break;
      len -= len % mss;
    } else if (len === room && len < avail) {
      // Window-limited, data in flight, no loss to repair, and a window of at least three full
      // offload packets: defer a packet smaller than a full one until more ACKs open the window
      // (Linux tcp_tso_should_defer, tso_win_divisor 3). Sending on every ACK would keep each
      // packet as small as the one ACKed for ever (ACK clocking preserves packet sizes), each
      // costing its own ACK. Small windows (loss recovery regimes) send as before.
      if (len < s.maxSeg && s.sndNxt > s.sndUna && !cc.inRecovery && Math.min(s.sndWnd, cc.cwnd) >= 3 * s.maxSeg) break;
      // Send whole segments only. A byte-counted cwnd (deflated by partial
      // ACKs) would otherwise end packets in a few-byte frame, each costing a frame and an ACK.
      if (len > mss) len -= len % mss;
      else if (len < mss && len * 2 < s.maxSndWnd && !s.swsOverride) break; // sender-side SWS avoidance
    }
    s.sndNxt = sendData(s, s.sndNxt, len);
    if (s.sndMax < s.sndNxt) s.sndMax = s.sndNxt;
  }
  armOutputTimers(s);
}

/**
 * tcpOutput on an ACK: with nothing unsent and no FIN to send, only what output does around its
 * send loop. Most ACKs find nothing to send, and a call into the whole of output for each was
 * the larger part of its cost.
 */
export function outputOnAck(s: Tcb): void {
  if (s.sndq.end > s.sndNxt || s.finQueued) tcpOutput(s);
  else if (startOutput(s)) armOutputTimers(s);
}

/** Output's start: false when the state sends nothing; clears the autocork mark; idle restart. */
function startOutput(s: Tcb): boolean {
  if (!sendsData(s.state)) return false;
  // Whatever output runs sends a corked tail if it can (no completion needs to push it then);
  // cleared first, so a packet dropped on the way down cannot re-enter output from onTxDone.
  s.autocorked = false;
  if (s.sndMax === s.sndUna && s.host.clock.now() - s.lastSendNs > s.rtt.rtoNs) s.cc.onIdleRestart();
  return true;
}

/** Output's end: the retransmission and probe timers while data is out, else persist if needed. */
function armOutputTimers(s: Tcb): void {
  if (s.sndMax > s.sndUna) {
    if (!s.rtxTimer.armed || s.persist) {
      s.persist = false;
      s.rtxTimer.arm(s.rtt.rtoNs);
    }
    if (!s.probeTimer.armed) armProbe(s);
  } else if (s.sndq.end > s.sndNxt && s.sndWnd < Math.min(s.sndq.end - s.sndNxt, s.sndMss) && !s.rtxTimer.armed) {
    s.persist = true;
    s.rtxTimer.arm(s.rtt.rtoNs);
  }
}
