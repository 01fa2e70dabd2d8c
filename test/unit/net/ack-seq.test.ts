import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { TcpSocket } from '../../../kernel/net/index.ts';
import { ADDR_B, pattern, twoHosts } from './helpers/hosts.ts';

const MS = 1_000_000;

/**
 * Both ends send at once; both data segments arrive but every pure ACK is lost for a second, so
 * both ends time out and rewind their send pointer to snd.una, with cwnd at one segment
 * so snd.nxt stays below snd.max. A pure ACK must then still carry a
 * sequence number the peer accepts (snd.max, as Linux's tcp_acceptable_seq): one carrying the
 * rewound snd.nxt is below the peer's rcv.nxt, is dropped without its ACK field being read, and
 * both ends retransmit for ever (swarm seed 173 of fault-mix).
 */
describe('pure ACKs after a retransmission timeout', () => {
  it('carry a sequence number the peer accepts, so crossed data is acknowledged', () => {
    const h = twoHosts({ tcp: { delayedAckNs: 0 } });
    let dropAcks = false;
    const pureAck = (f: Packet) => !(dropAcks && f.payload.length === 0);
    h.wireA.filter = pureAck;
    h.wireB.filter = pureAck;
    let server: TcpSocket | null = null;
    h.b.listen(80).onAccept = (s) => {
      server = s;
      s.onData = () => {};
    };
    const client = h.a.tcpSocket({ noDelay: true });
    client.onData = () => {};
    client.connect(ADDR_B, 80);
    h.engine.runUntil(10 * MS);
    expect(server).not.toBeNull();
    dropAcks = true;
    client.send(pattern(20_000, 1));
    server!.send(pattern(20_000, 2));
    h.engine.runUntil(1000 * MS);
    expect(client.unacked).toBe(20_000);
    expect(server!.unacked).toBe(20_000);
    dropAcks = false;
    // RTO backs off from 200 ms: 0.2, 0.6, 1.4 s — the retransmission at 1.4 s is the first one
    // whose answering ACK gets through.
    h.engine.runUntil(1600 * MS);
    expect(client.unacked).toBe(0);
    expect(server!.unacked).toBe(0);
  });
});
