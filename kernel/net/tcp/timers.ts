import { retransmitHead, sendProbe, sendSyn, tcpOutput } from './output.ts';
import type { Tcb } from './tcb.ts';
import { isSynchronized } from './state.ts';

/**
 * The retransmission timer (RFC 6298 5.4-5.7): back off, collapse the window, go back to the
 * first unacknowledged byte. In persist mode it probes a closed window instead.
 */
export function onRtxTimer(s: Tcb): void {
  if (s.state === 'CLOSED') return;
  if (s.persist) {
    onPersistTimer(s);
    return;
  }
  if (s.sndMax <= s.sndUna) return;
  const handshake = s.state === 'SYN_SENT' || s.state === 'SYN_RCVD';
  const limit = handshake ? s.cfg.synRetries : s.cfg.retries;
  if (s.rtt.backoff >= limit) {
    // A passive child nobody has accepted yet dies quietly; an owner hears ETIMEDOUT.
    s.destroy(s.state === 'SYN_RCVD' ? null : 'ETIMEDOUT', `no answer after ${s.rtt.backoff + 1} transmissions`);
    return;
  }
  const first = s.rtt.backoff === 0;
  s.rtt.onTimeout();
  s.host.stats.tcpTimeouts++;
  s.host.trace('tcp.rto', { conn: s.label, rtoNs: s.rtt.rtoNs, backoff: s.rtt.backoff, una: s.sndUna });
  if (handshake) {
    sendSyn(s);
    s.rtxTimer.arm(s.rtt.rtoNs);
    return;
  }
  s.probeTimer.stop();
  s.cc.onTimeout(s.sndMax - s.sndUna, s.sndMax, first);
  s.rttOff = -2;
  s.sndNxt = s.sndUna;
  retransmitHead(s);
  s.rtxTimer.arm(s.rtt.rtoNs);
  tcpOutput(s);
}

function onPersistTimer(s: Tcb): void {
  if (s.sndq.end <= s.sndNxt || s.sndMax > s.sndUna) {
    s.persist = false;
    tcpOutput(s);
    return;
  }
  if (s.probes >= s.cfg.retries) {
    s.destroy('ETIMEDOUT', `zero-window probes unanswered ${s.probes} times`);
    return;
  }
  s.probes++;
  if (s.sndWnd > 0) {
    // RFC 1122 4.2.3.4 override timeout: send the small window rather than wait for more.
    s.swsOverride = true;
    tcpOutput(s);
    s.swsOverride = false;
    if (s.sndMax > s.sndUna) return;
  }
  sendProbe(s);
  s.rtxTimer.arm(Math.min(s.rtt.rtoNs * 2 ** Math.min(s.probes, 30), s.cfg.maxRtoNs));
}

/** Keepalive (RFC 1122 4.2.3.6): probe an idle peer; keepCount unanswered probes mean it is gone. */
export function onKeepaliveTimer(s: Tcb): void {
  if (!s.keepAlive || !isSynchronized(s.state) || s.state === 'TIME_WAIT') return;
  // Input zeroes keepProbes on every segment, so an answered probe restarts the idle wait.
  const idle = s.host.clock.now() - s.lastRecvNs;
  if (s.keepProbes === 0 && idle < s.keepIdleNs) {
    s.keepTimer.arm(s.keepIdleNs - idle);
    return;
  }
  if (s.keepProbes >= s.keepCount) {
    s.destroy('ETIMEDOUT', `keepalive: ${s.keepProbes} probes unanswered`);
    return;
  }
  s.keepProbes++;
  sendProbe(s);
  s.keepTimer.arm(s.keepIntervalNs);
}
