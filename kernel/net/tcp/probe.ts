import type { Tcb } from './tcb.ts';

/** RFC 8985 7.2 WCDelAckT: what a lone segment may wait for the peer's delayed ACK. */
const WORST_CASE_DELACK_NS = 200_000_000;
/**
 * Added to 2·SRTT, as Linux adds TCP_TIMEOUT_MIN (2 jiffies): a handshake-only SRTT leaves out
 * the serialisation of a burst, and a probe that beats the burst's own ACKs is spurious.
 */
const PTO_SLACK_NS = 2_000_000;

/**
 * Loss probes: without them every loss NewReno cannot see from three duplicate ACKs waits for
 * the retransmission timer (200 ms at least, against a 50 µs path). Two cases:
 *
 * - Open state, tail loss probe (RFC 8985 7): a probe timeout (PTO = 2·SRTT + 2 ms) after the
 *   last progress, resend the last segment. Its ACK repairs a lost ACK or a lost tail.
 * - In recovery, a lost retransmission: NewReno resends the head on entry and on each partial
 *   ACK; when neither progress nor a partial ACK follows within the PTO, the resent head was lost
 *   too, so resend it once more (what RACK's per-segment send times detect, RFC 8985 6.2).
 *
 * A probe can be lost too: each probe without an ACK moving SND.UNA doubles the next timeout,
 * and probing stops once the timeout would not come before the RTO (a lone segment also waits
 * the peer's worst-case delayed ACK). In Open state the probe is the last segment rather than
 * new data (RFC 8985 prefers new data): a receiver that has it answers a duplicate at once,
 * while a lone new in-order segment waits out its delayed-ACK timer, and the usual stall here
 * is the one stretch ACK of a TSO burst lost.
 */
export function armProbe(s: Tcb): void {
  const flight = s.sndMax - s.sndUna;
  if (flight <= 0 || s.persist || s.rtt.srttNs === 0 || s.rtt.backoff > 0) {
    s.probeTimer.stop();
    return;
  }
  let pto = Math.ceil(2 * s.rtt.srttNs) + PTO_SLACK_NS;
  if (flight <= s.sndMss && !s.cc.inRecovery) pto += WORST_CASE_DELACK_NS;
  // Usually no probe was lost: skip the power (a Math.pow call in optimised code, on every ACK).
  if (s.lossProbes > 0) pto *= 2 ** s.lossProbes;
  if (pto >= s.rtt.rtoNs) {
    s.probeTimer.stop();
    return;
  }
  s.probeTimer.arm(pto);
}
