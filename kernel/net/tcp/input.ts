import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, frameCount, type Packet } from '../../../hw-sim/net/packet.ts';
import { deliver, deliverDirect, maybeWindowUpdate } from './deliver.ts';
import { limitedTransmit, outputOnAck, rcvNxtAll, rcvSeq, retransmitHead, sendAck, sendSyn, sndSeq, tcpOutput } from './output.ts';
import type { TcpSocket } from './socket.ts';
import { replyRst } from './reset.ts';
import { receivesData } from './state.ts';
import { armProbe } from './probe.ts';

/** Processes one segment addressed to this connection (any state but LISTEN). */
export function tcpInput(s: TcpSocket, p: Packet): void {
  const h = p.tcp!;
  s.lastRecvNs = s.host.clock.now();
  s.keepProbes = 0;
  if (s.state === 'SYN_SENT') {
    synSentInput(s, p);
    return;
  }
  if (s.state === 'CLOSED') return;
  const flags = h.flags;
  const len = p.payload.length;
  const rcvNxt = rcvNxtAll(s);
  const off = rcvNxt + ((h.seq - rcvSeq(s, rcvNxt)) | 0);
  if ((flags & TCP_SYN) !== 0) {
    // A retransmitted SYN (our SYN-ACK or ACK was lost): answer it again; anything else is
    // answered with a challenge ACK (RFC 5961 4).
    if (off === -1 && s.state === 'SYN_RCVD') sendSyn(s);
    else if ((flags & TCP_RST) === 0) sendAck(s);
    return;
  }
  const wnd = s.finReceived ? 0 : s.rcvq.window;
  const segLen = len + ((flags & TCP_FIN) !== 0 ? 1 : 0);
  const acceptable =
    segLen === 0
      ? wnd === 0
        ? off === rcvNxt
        : off >= rcvNxt && off < rcvNxt + wnd
      : wnd > 0 && off < rcvNxt + wnd && off + segLen > rcvNxt;
  if (!acceptable && !(off === rcvNxt && wnd === 0)) {
    if ((flags & TCP_RST) === 0) sendAck(s);
    return;
  }
  if ((flags & TCP_RST) !== 0) {
    s.host.stats.tcpResets++;
    const quiet = s.state === 'TIME_WAIT' || (s.state === 'SYN_RCVD' && s.listener !== null);
    s.destroy(quiet ? null : 'ECONNRESET', 'connection reset by peer');
    return;
  }
  if ((flags & TCP_ACK) === 0) return;
  if (s.state === 'SYN_RCVD') {
    if (ackOffset(s, h.ack) !== 0) {
      replyRst(s.host, p);
      return;
    }
    s.sndUna = 0;
    s.rtxTimer.stop();
    sampleRtt(s, 0);
    s.rtt.onProgress();
    updateWindow(s, off, 0, h.window, false);
    s.setState('ESTABLISHED');
    if (s.keepAlive) s.keepTimer.arm(s.keepIdleNs);
    s.listener?.childEstablished(s);
    if (isClosed(s)) return;
  } else if (!processAck(s, off, len, flags, h.ack, h.window)) {
    return;
  }
  if (wnd === 0 && len > 0) {
    // Closed window: keep nothing, tell the sender where we stand.
    sendAck(s);
    return;
  }
  receiveData(s, p, off, len, flags);
}

/** In-order segments acknowledged at once after out-of-order or duplicate data. */
const QUICKACKS = 16;

/**
 * Duplicate ACKs that signal a loss: 3, or with fewer than four segments out and nothing new to
 * send, one less than the segments out (early retransmit, RFC 5827), so a small request whose
 * first segment is lost recovers in an RTT instead of waiting for the timer.
 */
function dupThresh(s: TcpSocket): number {
  const out = Math.ceil((s.sndMax - s.sndUna) / s.sndMss);
  return out < 4 && s.sndq.end <= s.sndNxt ? Math.max(1, out - 1) : 3;
}

function ackOffset(s: TcpSocket, ack: number): number {
  return s.sndUna + ((ack - sndSeq(s, s.sndUna)) | 0);
}

function synSentInput(s: TcpSocket, p: Packet): void {
  const h = p.tcp!;
  const hasAck = (h.flags & TCP_ACK) !== 0;
  if (hasAck && ((h.ack - s.iss - 1) | 0) !== 0) {
    replyRst(s.host, p);
    return;
  }
  if ((h.flags & TCP_RST) !== 0) {
    if (hasAck) s.destroy('ECONNREFUSED', 'connection refused');
    return;
  }
  if ((h.flags & TCP_SYN) === 0 || !hasAck) return; // simultaneous open is not supported
  s.irs = h.seq >>> 0;
  const route = s.host.route(s.remoteAddr);
  s.applyPeerSyn(h.mss, h.wscale, route ? route.gsoMaxBytes : 0);
  s.sndUna = 0;
  s.rtxTimer.stop();
  sampleRtt(s, 0);
  s.rtt.onProgress();
  updateWindow(s, -1, 0, h.window, true);
  s.setState('ESTABLISHED');
  if (s.finQueued) s.setState('FIN_WAIT_1');
  if (s.keepAlive) s.keepTimer.arm(s.keepIdleNs);
  sendAck(s);
  if (s.onConnect) s.onConnect();
  tcpOutput(s);
}

function sampleRtt(s: TcpSocket, ackOff: number): void {
  if (s.rttOff !== -2 && ackOff >= s.rttOff) {
    s.rtt.sample(Math.max(1, s.host.clock.now() - s.rttStartNs));
    s.rttOff = -2;
  }
}

/** RFC 793 window update rule: only a newer segment (or same segment, newer ACK) moves SND.WND. */
function updateWindow(s: TcpSocket, segOff: number, ackOff: number, field: number, syn: boolean): boolean {
  if (segOff > s.sndWl1 || (segOff === s.sndWl1 && ackOff >= s.sndWl2)) {
    // The window field of a SYN segment is never scaled.
    const w = syn ? field : field * (1 << s.sndWscale); // wscale ≤ 14: a shift, not Math.pow
    const changed = w !== s.sndWnd;
    s.sndWnd = w;
    s.sndWl1 = segOff;
    s.sndWl2 = ackOff;
    if (w > s.maxSndWnd) s.maxSndWnd = w;
    return changed;
  }
  return false;
}

/** The ACK half of a segment. Returns false when the socket went away. */
function processAck(s: TcpSocket, off: number, len: number, flags: number, ack: number, window: number): boolean {
  const ackOff = ackOffset(s, ack);
  if (ackOff > s.sndMax) {
    sendAck(s);
    return false;
  }
  if (ackOff < s.sndUna) return true; // old duplicate: its ACK tells nothing new
  const wndChanged = updateWindow(s, off, ackOff, window, false);
  s.probes = 0;
  if (ackOff === s.sndUna) {
    if (len === 0 && (flags & TCP_FIN) === 0 && !wndChanged && s.sndMax > s.sndUna) {
      s.host.stats.tcpDupAcks++;
      if (s.cc.onDupAck(s.sndUna, s.sndMax, dupThresh(s))) {
        s.host.stats.tcpFastRetransmits++;
        s.host.trace('tcp.fast_retransmit', { conn: s.label, una: s.sndUna, cwnd: s.cc.cwnd });
        retransmitHead(s);
        armProbe(s);
      } else if (!s.cc.inRecovery && s.cc.dupAcks <= 2) {
        limitedTransmit(s);
      }
    }
    outputOnAck(s);
    return true;
  }
  const acked = ackOff - s.sndUna;
  const flightBefore = s.sndMax - s.sndUna;
  sampleRtt(s, ackOff);
  s.rtt.onProgress();
  s.sndUna = ackOff;
  if (s.sndNxt < ackOff) s.sndNxt = ackOff;
  s.sndq.release(ackOff);
  s.traceMarks?.release(ackOff);
  const phase = s.cc.onAck(acked, ackOff, flightBefore);
  if (phase === 'partial') retransmitHead(s);
  if (s.sndMax > s.sndUna) s.rtxTimer.arm(s.rtt.rtoNs);
  else if (!s.persist) s.rtxTimer.stop();
  s.lossProbes = 0;
  armProbe(s);
  if (s.finQueued && ackOff === s.sndq.end + 1 && !ourFinAcked(s)) return false;
  if (s.writeBlocked && s.sndq.free > 0 && !s.finQueued) {
    s.writeBlocked = false;
    if (s.onWritable) s.onWritable();
    if (s.state === 'CLOSED') return false;
  }
  outputOnAck(s);
  return true;
}

/** Our FIN was acknowledged. Returns false when the socket closed. */
function ourFinAcked(s: TcpSocket): boolean {
  switch (s.state) {
    case 'FIN_WAIT_1':
      s.setState('FIN_WAIT_2');
      // An orphan does not wait forever for the peer's FIN (tcp_fin_timeout).
      if (s.userClosed) s.closeTimer.arm(s.cfg.timeWaitNs);
      return true;
    case 'CLOSING':
      enterTimeWait(s);
      return true;
    case 'LAST_ACK':
      s.destroy(null);
      return false;
    default:
      return true;
  }
}

function enterTimeWait(s: TcpSocket): void {
  s.setState('TIME_WAIT');
  s.rtxTimer.stop();
  s.keepTimer.stop();
  s.closeTimer.arm(s.cfg.timeWaitNs);
  s.notifyClosed();
}

/** The data and FIN half: store (in or out of order), acknowledge, deliver. */
function receiveData(s: TcpSocket, p: Packet, off: number, len: number, flags: number): void {
  const fin = (flags & TCP_FIN) !== 0;
  if (!receivesData(s.state)) {
    // Retransmitted FIN after ours crossed it, or in TIME_WAIT: acknowledge again.
    if (fin || len > 0) {
      if (s.state === 'TIME_WAIT') s.closeTimer.arm(s.cfg.timeWaitNs);
      sendAck(s);
    }
    return;
  }
  const q = s.rcvq;
  let ackNow = false;
  let extraDupAcks = 0;
  if (len > 0) {
    if (s.userClosed) {
      // Data for an owner that closed: nobody will read it (Linux answers with RST).
      s.abort();
      return;
    }
    const hadGap = q.hasOutOfOrder;
    const before = q.rcvNxt;
    s.host.chargeCopy(len);
    // Out of order, filling a gap, or a duplicate: the sender needs to hear at once, and for
    // the next segments too while it recovers (Linux's quickack mode, TCP_MAX_QUICKACKS).
    if (off !== before || hadGap) {
      ackNow = true;
      s.quickAcks = QUICKACKS;
      // A GRO/TSO packet beyond rcv.nxt stands for its wire frames: each would have drawn its own
      // duplicate ACK (RFC 5681 4.2; Linux counts a GRO'd packet per segment).
      if (off > before) extraDupAcks = frameCount(p) - 1;
    } else if (s.quickAcks > 0) {
      s.quickAcks--;
      ackNow = true;
    }
    // Owed before the owner hears of the bytes: a reply sent from onData carries the ACK.
    s.ackOwed = true;
    if (deliverDirect(s, p.payload, off)) {
      if (isClosed(s)) return;
      if (s.ackOwed) s.rcvUnacked += len;
    } else {
      s.rcvUnacked += q.store(p.payload, off);
    }
  }
  if (fin && off + len <= q.readOff + q.capacity) s.peerFinOff = off + len;
  let ended = false;
  let toTimeWait = false;
  if (s.peerFinOff >= 0 && !s.finReceived && q.rcvNxt === s.peerFinOff) {
    s.finReceived = true;
    ended = true;
    ackNow = true;
    s.ackOwed = true;
    if (s.state === 'ESTABLISHED') s.setState('CLOSE_WAIT');
    else if (s.state === 'FIN_WAIT_1') s.setState('CLOSING');
    else if (s.state === 'FIN_WAIT_2') toTimeWait = true; // after the owner heard the end
  }
  if (s.rcvUnacked >= 2 * s.rcvMss || s.cfg.delayedAckNs === 0) ackNow = true;
  if (len > 0 || ended) {
    // Nothing buffered (the usual case: the segment went straight to onData): delivery would
    // only check whether to advertise the window, so check that alone.
    if (q.readable === 0 && !s.delivering) maybeWindowUpdate(s);
    else deliver(s);
  }
  if (isClosed(s)) return;
  // Delivery may have sent an ACK already (window update, or data the owner sent in reply).
  if (s.ackOwed) {
    if (ackNow) sendAck(s);
    else if (!s.delackTimer.armed) s.delackTimer.arm(s.cfg.delayedAckNs);
  }
  // The remaining frames' duplicate ACKs: NewReno counts them to enter and size recovery.
  for (let i = 0; i < extraDupAcks && !s.finReceived && !isClosed(s); i++) sendAck(s);
  if (ended && s.onEnd) s.onEnd();
  if (toTimeWait && s.state === 'FIN_WAIT_2') enterTimeWait(s);
}

/** Re-reads the state after a callback (which may have closed the socket). */
function isClosed(s: TcpSocket): boolean {
  return s.state === 'CLOSED';
}
