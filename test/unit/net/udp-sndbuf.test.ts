// The UDP socket's send buffer (kernel/net/udp.ts) on the real path (NIC driver, tx completions):
// bytes of datagrams the NIC has not reported done, headers included; a datagram that would
// overflow it is refused and counted, and onWritable fires once half the buffer is free again.
import { describe, expect, it } from 'vitest';
import { buildMachine } from '../../../scenarios/machine/index.ts';

describe('UDP send buffer', () => {
  it('refuses what does not fit, counts it, and wakes the sender when half is free', () => {
    const link = { rateBps: 10e9, propagationNs: 25_000 };
    const m = buildMachine({ hosts: [{ name: 'client', role: 'client', ip: '10.0.0.1', link }, { name: 's', role: 'server', ip: '10.0.0.2', link }] }, { seed: 1 });
    const server = m.host('s');
    const client = m.client!;
    let got = 0;
    server.net.udpSocket(5000).onMessage = () => { got++; };
    const tx = client.net.udpSocket(4000);
    // Three 1000-byte datagrams cost 3 × (1000 + 20 IP + 8 UDP) = 3084 bytes; a fourth would make 4112.
    tx.sndbuf = 4000;
    let woke = 0;
    tx.onWritable = () => { woke++; };
    const sent = [0, 1, 2, 3].map(() => tx.sendTo(server.ip, 5000, new Uint8Array(1000)));
    expect(sent).toEqual([true, true, true, false]);
    expect(tx.writable).toBe(4000 - 3084);
    expect(client.net.stats.udpSndbufErrors).toBe(1);
    m.engine.run();
    expect(got).toBe(3);
    expect(woke).toBe(1);
    expect(tx.writable).toBe(4000);
  });
});
