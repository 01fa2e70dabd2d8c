import { retransmitHead, retransmitTail } from './output.ts';
import { armProbe } from './probe.ts';
import type { Tcb } from './tcb.ts';
import { sendsData } from './state.ts';

/**
 * The loss-probe timer fired (probe.ts says when it is armed): resend the head in recovery, the
 * last segment otherwise, and arm the next probe. Apart from probe.ts so output.ts, which arms
 * probes, and this, which sends through output.ts, do not import each other.
 */
export function onProbeTimer(s: Tcb): void {
  if (!sendsData(s.state) || s.sndMax <= s.sndUna || s.persist) return;
  s.lossProbes++;
  s.host.stats.tcpLossProbes++;
  s.host.trace('tcp.loss_probe', { conn: s.label, una: s.sndUna, nxt: s.sndNxt, recovery: s.cc.inRecovery });
  if (s.cc.inRecovery) retransmitHead(s);
  else retransmitTail(s);
  armProbe(s);
}
