import { describe, expect, it } from 'vitest';
import { buildMachine, type MachineConfig } from '../../../scenarios/machine/index.ts';
import { Sink, firstDiff, pattern, writeAll } from './helpers/hosts.ts';

function twoHostConfig(loss = 0): MachineConfig {
  const link = { rateBps: 10e9, propagationNs: 25_000, impairments: { loss } };
  return {
    hosts: [
      { name: 'client', role: 'client', ip: '10.0.0.1', link },
      { name: 'server-a', role: 'server', ip: '10.0.0.2', link },
    ],
  };
}

/** client ↔ switch ↔ server: `bytes` up, the same count echoed back reversed in meaning (down). */
function transfer(seed: number, bytes: number, loss = 0) {
  const m = buildMachine(twoHostConfig(loss), { seed });
  const server = m.host('server-a');
  const client = m.client!;
  const up = pattern(bytes, 1);
  const down = pattern(bytes >> 1, 2);
  const atServer = new Sink();
  const atClient = new Sink();
  server.net.listen(10809).onAccept = (s) => {
    s.onData = atServer.take;
    s.onEnd = () => writeAll(s, down, () => s.close());
  };
  const c = client.net.tcpSocket({ noDelay: true });
  c.onData = atClient.take;
  c.onEnd = () => c.close();
  c.connect(server.ip, 10809);
  writeAll(c, up, () => c.shutdown());
  m.engine.run();
  return { m, up, down, atServer, atClient };
}

describe('machine builder', () => {
  it('a client and a server around the switch move data both ways through NICs, IRQs and NAPI', () => {
    const { m, up, down, atServer, atClient } = transfer(7, 2_000_000);
    expect(firstDiff(atServer.data(), up)).toBe(-1);
    expect(firstDiff(atClient.data(), down)).toBe(-1);
    const ks = m.host('server-a').kernel.stats;
    expect(ks.num('net/dev/nic0/rx_packets')).toBeGreaterThan(0);
    expect(ks.num('net/dev/nic0/napi_polls')).toBeGreaterThan(0);
    expect(ks.num('net/tcp/in_segs')).toBeGreaterThanOrEqual(Math.ceil(2_000_000 / 1460));
    expect(m.client!.kernel.stats.num('net/tcp/retrans_segs')).toBe(0);
    // CPU model: copying 2 MB into socket buffers at 10 GB/s alone is 200 µs of core time, on
    // top of 1 µs per received packet; all of it lands on core 0 (IRQs, softirq).
    const rxPackets = ks.num('net/dev/nic0/rx_packets');
    expect(ks.num('cpu/0/busy_ns')).toBeGreaterThanOrEqual(200_000 + rxPackets * 1000);
  });

  it('publishes per-connection state in the stats tree and traces connections, not segments', () => {
    const m = buildMachine(twoHostConfig(0), { seed: 4 });
    const tcpRecords: string[] = [];
    m.engine.trace.subscribe((r) => {
      if (r.src.endsWith('/tcp')) tcpRecords.push(r.kind);
    });
    const server = m.host('server-a');
    server.net.listen(80).onAccept = (s) => {
      s.onData = () => {};
    };
    const c = m.client!.net.tcpSocket();
    c.connect(server.ip, 80);
    writeAll(c, pattern(1_000_000));
    m.engine.runUntil(100_000_000);
    const ks = m.client!.kernel.stats;
    const base = `net/tcp/conn/${c.label}`;
    expect(ks.list(base)).toEqual(['cwnd', 'in_flight', 'rcv_wnd', 'retransmits', 'rto_ns', 'snd_wnd', 'srtt_ns', 'ssthresh', 'state', 'unsent'].map((l) => `${base}/${l}`));
    expect(ks.read(`${base}/state`)).toBe('ESTABLISHED');
    expect(ks.num(`${base}/cwnd`)).toBe(c.info().cwnd);
    expect(ks.num('net/tcp/established')).toBe(1);
    // ~700 segments went each way; the TCP trace holds only the four state changes.
    expect(tcpRecords).toEqual(['tcp.state', 'tcp.state', 'tcp.state', 'tcp.state']);
  });

  it('same seed ⇒ same trace digest over the real fabric, also with loss; another seed differs', () => {
    const d1 = transfer(11, 300_000, 0.01).m.engine.trace.digest();
    const d2 = transfer(11, 300_000, 0.01).m.engine.trace.digest();
    const d3 = transfer(12, 300_000, 0.01).m.engine.trace.digest();
    expect(d1).toBe(d2);
    expect(d3).not.toBe(d1);
  });

  it('1 % loss on the real links: the stream still arrives exact', () => {
    const { up, atServer, m } = transfer(5, 500_000, 0.01);
    expect(firstDiff(atServer.data(), up)).toBe(-1);
    expect(m.client!.kernel.stats.num('net/tcp/retrans_segs')).toBeGreaterThan(0);
  });

  it('over the real NICs and switch at 10 Gbit/s, 25 µs: ≥ 90 % of line rate, with small queues below TCP', () => {
    // Ceiling: 1460 payload bytes per 1538 wire bytes (20 IP + 20 TCP + 38 Ethernet) = 94.93 %.
    const m = buildMachine(twoHostConfig(0), { seed: 3, trace: false });
    const server = m.host('server-a');
    let bytes = 0;
    server.net.listen(80).onAccept = (s) => {
      s.onData = (c) => (bytes += c.length);
    };
    const c = m.client!.net.tcpSocket();
    c.connect(server.ip, 80);
    const chunk = pattern(1 << 20);
    const pump = (): void => {
      while (c.send(chunk) > 0);
    };
    c.onWritable = pump;
    pump();
    let maxQueued = 0;
    const sample = (): void => {
      maxQueued = Math.max(maxQueued, c.txQueued);
      if (m.engine.now < 30e6) m.engine.schedule(10_000, sample, 'test.sample');
    };
    sample();
    m.engine.runUntil(10e6);
    const b0 = bytes;
    m.engine.runUntil(30e6);
    const goodput = ((bytes - b0) * 8) / 20e-3;
    expect(goodput).toBeGreaterThanOrEqual(0.9 * 10e9);
    expect(goodput).toBeLessThanOrEqual(0.9493 * 10e9);
    // TCP small queues: at most the limit (256 KiB) plus the one offload packet that crossed it.
    expect(maxQueued).toBeLessThanOrEqual(256 * 1024 + 65_536);
    expect(maxQueued).toBeGreaterThan(0);
  });

  it('rejects bad descriptions naming the host and key', () => {
    const link = { rateBps: 1e9, propagationNs: 1000 };
    expect(() => buildMachine({ hosts: [{ name: 'c', role: 'client', ip: '10.0.0.300', link }] })).toThrow(/hosts\[0\] \('c'\): ip/);
    expect(() =>
      buildMachine({
        hosts: [
          { name: 'c', role: 'client', ip: '10.0.0.1', link },
          { name: 'c', role: 'server', ip: '10.0.0.2', link },
        ],
      }),
    ).toThrow(/duplicate host name/);
    const many = Array.from({ length: 17 }, (_, i) => ({ name: `s${i}`, role: 'server' as const, ip: `10.0.0.${i + 2}`, link }));
    expect(() => buildMachine({ hosts: many })).toThrow(/at most 16/);
  });

  it('builds a client and 16 servers; the client reaches every one', () => {
    const link = { rateBps: 10e9, propagationNs: 5_000 };
    const hosts: MachineConfig['hosts'] = [{ name: 'client', role: 'client', ip: '10.0.0.1', link }];
    for (let i = 0; i < 16; i++) hosts.push({ name: `srv${i}`, role: 'server', ip: `10.0.0.${10 + i}`, link });
    const m = buildMachine({ hosts });
    const got: string[] = [];
    for (const s of m.servers) {
      s.net.listen(80).onAccept = (sock) => {
        sock.onData = (c) => got.push(`${s.name}:${c.length}`);
      };
      const c = m.client!.net.tcpSocket();
      c.connect(s.ip, 80);
      c.send(pattern(100));
    }
    m.engine.runUntil(1_000_000_000);
    expect(got.sort()).toEqual(m.servers.map((s) => `${s.name}:100`).sort());
  });
});
