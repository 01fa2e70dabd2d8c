import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import { NetStack, type NetDevice, type NetInterface, type TcpConfig, type TcpSocket } from '../../../kernel/net/index.ts';
import { SKB_TRUESIZE_OVERHEAD } from '../../../kernel/net/tcp/autocork.ts';
import { ADDR_A, ADDR_B, pattern } from './helpers/hosts.ts';

/**
 * A NIC whose transmit completions the test gives by hand (`complete()`), as a real NIC reports
 * them late (interrupt coalescing): until then the packets count as the socket's, in the device.
 * Frames reach the peer 10 µs after xmit.
 */
class HeldNic implements NetDevice {
  readonly name = 'held0';
  readonly mtu = 1500;
  readonly gsoMaxBytes = 65536;
  readonly reportsTxCompletion: boolean;
  iface: NetInterface | null = null;
  peer: HeldNic | null = null;
  /** Payload lengths of the data packets sent, in order. */
  readonly data: number[] = [];
  private pending = 0;

  constructor(private readonly engine: Engine, completes: boolean) {
    this.reportsTxCompletion = completes;
  }

  xmit(p: Packet): boolean {
    if (p.payload.length > 0) this.data.push(p.payload.length);
    if (this.reportsTxCompletion) this.pending++;
    const peer = this.peer!;
    this.engine.schedule(10_000, () => peer.iface!.receive(p), 'held.deliver');
    return true;
  }

  /** Every packet handed over so far has left (one coalesced tx interrupt). */
  complete(): void {
    const n = this.pending;
    this.pending = 0;
    this.iface!.txComplete(n);
  }
}

/** a (10.0.0.1, completions by hand) connected to b; returns once established, device drained. */
function rig(tcp: Partial<TcpConfig> = {}) {
  const engine = new Engine({ seed: 1, trace: false });
  const nicA = new HeldNic(engine, true);
  const nicB = new HeldNic(engine, false);
  nicA.peer = nicB;
  nicB.peer = nicA;
  // b acknowledges every segment at once, so "acknowledged" is one round trip (20 µs) away.
  const a = new NetStack({ host: 'a', engine, tcp: { delayedAckNs: 0, ...tcp } });
  const b = new NetStack({ host: 'b', engine, tcp: { delayedAckNs: 0 } });
  nicA.iface = a.addInterface(nicA, ADDR_A, 24);
  nicB.iface = b.addInterface(nicB, ADDR_B, 24);
  let got = 0;
  b.listen(80, { noDelay: true }).onAccept = (s) => {
    s.onData = (chunk) => (got += chunk.length);
  };
  const c: TcpSocket = a.tcpSocket({ noDelay: true });
  c.connect(ADDR_B, 80);
  engine.run();
  nicA.complete();
  expect(c.state).toBe('ESTABLISHED');
  return { engine, nic: nicA, c, a, received: () => got };
}

describe('TCP autocorking (Linux tcp_should_autocork + the TSQ completion hook)', () => {
  it('a send with nothing of the socket in the device leaves at once', () => {
    const { nic, c } = rig();
    c.send(pattern(100));
    expect(nic.data).toEqual([100]);
  });

  it('two small sends while the first packet is still in the NIC leave as one packet at its tx completion', () => {
    const { engine, nic, c, a, received } = rig();
    c.send(pattern(100));
    // In the device: one 100-byte packet, sk_wmem_alloc = 1 + 1280 + 100 = 1381; unacknowledged.
    c.send(pattern(40)); // tail 40: truesize 1320 < 1381 → corked
    c.send(pattern(40)); // tail 80: truesize 1360 < 1381 → still corked
    expect(nic.data).toEqual([100]);
    expect(a.stats.tcpAutocorking).toBe(1); // counted once per corking, as TCPAutoCorking
    nic.complete();
    expect(nic.data).toEqual([100, 80]);
    engine.run();
    expect(received()).toBe(180);
  });

  it('with tcp autocorking off the same sends leave as three packets at once', () => {
    const { engine, nic, c, a, received } = rig({ autocorking: false });
    c.send(pattern(100));
    c.send(pattern(40));
    c.send(pattern(40));
    expect(nic.data).toEqual([100, 40, 40]);
    expect(a.stats.tcpAutocorking).toBe(0);
    engine.run();
    expect(received()).toBe(180);
  });

  it('a tail whose truesize reaches sk_wmem_alloc is pushed (the condition is on memory, not a count)', () => {
    const { nic, c } = rig();
    c.send(pattern(100)); // in the device: wmem 1 + 1280 + 100 = 1381
    c.send(pattern(60)); // tail 60: 1340 < 1381, corked
    expect(nic.data).toEqual([100]);
    c.send(pattern(60)); // tail 120: 1400 ≥ 1381, sent with what was corked
    expect(nic.data).toEqual([100, 120]);
    expect(SKB_TRUESIZE_OVERHEAD).toBe(1280);
  });

  it('no cork once the device completed the packet, though its bytes are unacknowledged', () => {
    const { nic, c } = rig();
    c.send(pattern(100));
    nic.complete(); // sk_wmem_alloc back to 1, below any tail's truesize
    expect(c.info().inFlight).toBe(100);
    c.send(pattern(40));
    expect(nic.data).toEqual([100, 40]);
  });

  it('a send that straddles two send-queue chunks is one tail: with nothing in the device both pieces leave at once', () => {
    const { engine, nic, c } = rig();
    // Chunks are one offload packet long: 65536 - 65536 % 1460 = 64240 bytes (44 segments).
    c.send(pattern(63_500));
    engine.run();
    nic.complete();
    expect(c.info().inFlight).toBe(0);
    nic.data.length = 0;
    // Stream bytes 63500..64500: 740 in the first chunk, 260 in the next. Taken as a full skb and a
    // tail, the 740 in the device (wmem 1 + 1280 + 740) would cork the 260 (truesize 1540).
    c.send(pattern(1000));
    expect(nic.data).toEqual([740, 260]);
  });

  it('no cork once everything sent is acknowledged, even with the packet still in the device', () => {
    const { engine, nic, c } = rig();
    c.send(pattern(100));
    engine.run(); // b's ACK arrives at 20 µs; the NIC has not reported the completion
    expect(c.info().inFlight).toBe(0);
    c.send(pattern(40)); // retransmit queue empty → leaves at once
    expect(nic.data).toEqual([100, 40]);
  });

  it('an ACK sends a corked tail before the tx completion does (output runs on every ACK)', () => {
    const { engine, nic, c } = rig();
    c.send(pattern(100));
    engine.runUntil(engine.now + 5_000);
    c.send(pattern(40)); // corked: the 100-byte packet is in the device and unacknowledged
    expect(nic.data).toEqual([100]);
    engine.run(); // the ACK of the 100 bytes arrives (20 µs after the first send) and outputs
    expect(nic.data).toEqual([100, 40]);
    nic.complete(); // nothing left to push
    expect(nic.data).toEqual([100, 40]);
  });

  it('MSG_MORE still holds a header for the rest of its message, which then corks as one tail', () => {
    const { nic, c } = rig();
    c.send(pattern(28), 0, 28, true); // nothing in the device, but more follows: nothing leaves
    expect(nic.data).toEqual([]);
    c.send(pattern(100)); // header + payload leave together
    expect(nic.data).toEqual([128]);
    c.send(pattern(28), 0, 28, true);
    // Tail 128: truesize 1408 < wmem 1 + 1280 + 128 = 1409 (the bias of 1 lets a tail as long as
    // the packet in the device cork) → corked.
    c.send(pattern(100));
    expect(nic.data).toEqual([128]);
    nic.complete();
    expect(nic.data).toEqual([128, 128]);
  });

  it('the host config key is validated', () => {
    expect(() => new NetStack({ host: 'x', engine: new Engine({ seed: 1 }), tcp: { autocorking: 1 as unknown as boolean } })).toThrow(/autocorking/);
  });
});
