import { describe, expect, it } from 'vitest';
import { TCP_ACK, type Packet } from '../../../hw-sim/net/packet.ts';
import { ADDR_B, pattern, twoHosts } from './helpers/hosts.ts';

const S = 1_000_000_000;
const MSS = 1460;

/**
 * A receiver that gets one offload (GRO/TSO) packet of k wire frames: the pipe delivers frames one
 * by one, so the packet is handed to b's interface directly, built from a real data frame of a.
 */
function receiverAfterOneExchange() {
  let template: Packet | null = null;
  const acks: number[] = [];
  const h = twoHosts({
    tap: (from, p) => {
      if (from === 'a' && p.payload.length > 0 && !template) template = p;
      if (from === 'b' && p.payload.length === 0) acks.push(p.tcp!.ack);
    },
  });
  h.b.listen(80).onAccept = (s) => {
    s.onData = () => {};
  };
  const c = h.a.tcpSocket({ noDelay: true });
  c.connect(ADDR_B, 80);
  h.engine.runUntil(S);
  c.send(pattern(100));
  h.engine.runUntil(2 * S); // acknowledged (delayed ACK at most 40 ms): b's rcv.nxt = seq + 100
  const tpl = template! as Packet;
  const rcvNxt = (tpl.tcp!.seq + 100) | 0;
  // From here on b's ACKs are counted as they leave but never reach a, which never sent the
  // injected bytes (it would answer an ACK for them with an ACK of its own).
  h.wireA.up = false;
  /** Hands b one packet of `bytes` at rcv.nxt + `ahead`, offloaded as MSS frames. */
  const inject = (ahead: number, bytes: number): void => {
    const p: Packet = { ...tpl, tcp: { ...tpl.tcp!, seq: (rcvNxt + ahead) | 0, flags: TCP_ACK }, payload: pattern(bytes, 7), gsoSize: MSS };
    h.wireB.iface!.receive(p);
  };
  /** The ACKs b sent since `mark` (an earlier `acks.length`). */
  const acksSince = (mark: number): number[] => acks.slice(mark);
  return { h, rcvNxt, inject, acks, acksSince };
}

describe('duplicate ACKs for an out-of-order offload packet (RFC 5681 4.2, per wire frame)', () => {
  for (const k of [1, 2, 4, 7]) {
    it(`a packet of ${k} full frames beyond a one-segment hole draws ${k} duplicate ACKs`, () => {
      const r = receiverAfterOneExchange();
      const mark = r.acks.length;
      r.inject(MSS, k * MSS);
      r.h.engine.runUntil(3 * S);
      // Each of the k frames, arriving alone, would have drawn one immediate duplicate ACK naming
      // the hole; the offload packet stands for them.
      expect(r.acksSince(mark)).toEqual(new Array<number>(k).fill(r.rcvNxt));
    });
  }

  it('a short last frame is a frame: 3 full segments + 100 bytes is 4 frames, 4 duplicate ACKs', () => {
    const r = receiverAfterOneExchange();
    const mark = r.acks.length;
    r.inject(MSS, 3 * MSS + 100);
    r.h.engine.runUntil(3 * S);
    expect(r.acksSince(mark)).toEqual([r.rcvNxt, r.rcvNxt, r.rcvNxt, r.rcvNxt]);
  });

  it('an in-order offload packet draws no duplicates: one cumulative ACK for all of it', () => {
    const r = receiverAfterOneExchange();
    const mark = r.acks.length;
    r.inject(0, 4 * MSS);
    r.h.engine.runUntil(3 * S);
    // Four full segments ≥ two: acknowledged at once (RFC 5681 4.2), by one ACK for the end.
    expect(r.acksSince(mark)).toEqual([(r.rcvNxt + 4 * MSS) >>> 0]);
  });

  it('the packet that fills the hole is acknowledged once, cumulatively, not per frame', () => {
    const r = receiverAfterOneExchange();
    r.inject(4 * MSS, 2 * MSS); // 2 duplicates
    r.h.engine.runUntil(r.h.engine.now + 1_000_000);
    const mark = r.acks.length;
    r.inject(0, 4 * MSS); // fills [0, 4 MSS): everything up to 6 MSS is now in order
    r.h.engine.runUntil(3 * S);
    expect(r.acksSince(mark)).toEqual([(r.rcvNxt + 6 * MSS) >>> 0]);
  });
});
