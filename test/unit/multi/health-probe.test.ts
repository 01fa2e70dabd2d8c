// The health probe: a READ on the wire per server per interval, with a deadline and hysteresis
// (down after N failures in a row, up after M successes in a row); the balancer then avoids the
// sick server while another is usable.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { HealthProber, type ProbeCmd } from '../../../drivers/nbd/health/probe.ts';
import { ConnectionSlot } from '../../../drivers/nbd/managers/connection-slot.ts';
import { LoadBalancer } from '../../../drivers/nbd/managers/load-balancer.ts';
import { NBD_CMD_READ } from '../../../drivers/nbd/protocol/uapi.ts';
import { RqState, type NbdCmd } from '../../../drivers/nbd/request.ts';

function liveSlot(index: number, server: number): ConnectionSlot {
  const c = new ConnectionSlot(index, server);
  // A connection in transmission: its chart's snapshot says so, its session and socket are bound.
  return Object.assign(c, { actor: { getSnapshot: () => ({ value: 'transmission' }) }, transmission: {}, socket: { writable: 1 << 20 } }) as ConnectionSlot;
}

function rig(downAfter: number, upAfter: number) {
  const engine = new Engine({ seed: 1 });
  const conns = [liveSlot(0, 0), liveSlot(1, 1)];
  const sent: NbdCmd[] = [];
  const verdicts: boolean[][] = [[], []];
  const p = new HealthProber(engine, { src: 'nbd0', timeoutNs: 1000, downAfter, upAfter, tag: 99 }, {
    conns,
    sendOn: (c, slot) => { c.state = RqState.SENT; c.conn = slot.index; sent.push(c); },
    verdict: (h) => { verdicts[h.server]!.push(h.healthy); },
  });
  return { engine, conns, sent, verdicts, p };
}

describe('health probe', () => {
  it('sends a 512-byte READ of offset 0 to every server, one in flight each', () => {
    const { sent, p } = rig(3, 2);
    p.tick(2, () => false);
    expect(sent.map((c) => [c.type, c.offset, c.length, c.conn])).toEqual([[NBD_CMD_READ, 0, 512, 0], [NBD_CMD_READ, 0, 512, 1]]);
    p.tick(2, () => false); // both still unanswered, not yet late (time has not moved): nothing new
    expect(sent.length).toBe(2);
  });

  it('down after 3 late rounds, not 2; up again after 2 answered probes, not 1', () => {
    const { engine, sent, p, verdicts } = rig(3, 2);
    const answer = (server: number, errno = 0): void => { p.replied(sent.filter((c) => c.conn === server).at(-1) as ProbeCmd, errno); };
    p.tick(2, () => false);
    answer(0);
    // Server 1 never answers: every round past the 1000 ns deadline is one more failure.
    for (let round = 1; round <= 2; round++) { engine.runUntil(round * 2000); p.tick(2, () => false); answer(0); }
    expect(p.unhealthy(1)).toBe(false);
    engine.runUntil(6000); p.tick(2, () => false); answer(0);
    expect(p.unhealthy(1)).toBe(true);
    expect(p.unhealthy(0)).toBe(false);
    // Its late reply comes at last: not a success (it was counted late). Then two prompt answers.
    answer(1);
    engine.runUntil(8000); p.tick(2, () => false); answer(1);
    expect(p.unhealthy(1)).toBe(true);
    engine.runUntil(10000); p.tick(2, () => false); answer(1);
    expect(p.unhealthy(1)).toBe(false);
    // Verdicts of server 1: two failures still healthy, the third down, one success still down, the second up.
    expect(verdicts[1]).toEqual([true, true, false, false, true]);
  });

  it('an error reply is a failure; the balancer skips an avoided server', () => {
    const { sent, p } = rig(1, 1);
    p.tick(2, () => false);
    p.replied(sent[1] as ProbeCmd, 5);
    expect(p.unhealthy(1)).toBe(true);
    const lb = new LoadBalancer('round-robin');
    const conns = [liveSlot(0, 0), liveSlot(1, 1)];
    lb.avoided.add(1);
    const picks = [lb.pick(conns, 0, 0), lb.pick(conns, 1, 0), lb.pick(conns, 2, 0)];
    expect(picks).toEqual([0, 0, 0]);
  });
});
