// The costs of the table that the paths charge inline (Cpu.charge, no completion event): kernel
// timer callbacks, the NIC driver's per-packet protocol work, the NBD driver per request and TLS
// sealing. Expectations are the table's constants times counts, worked out by hand.
import { describe, expect, it, vi } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Cpu } from '../../../hw-sim/cpu/index.ts';
import { DEFAULT_CPU_COSTS, scaledCosts } from '../../../hw-sim/cpu/costs.ts';
import { Kernel, createHostHardware } from '../../../kernel/core/kernel.ts';
import { kernelNetClock } from '../../../kernel/net/kernel-glue.ts';
import { LazyTimer } from '../../../kernel/net/clock.ts';
import { buildMachine } from '../../../scenarios/machine/index.ts';
import { TlsChannel, type TlsKeys } from '../../../drivers/nbd/security/tls-channel.ts';
import { engineNetClock } from '../../../kernel/net/clock.ts';
import { TlsSw } from '../../../kernel/net/tls/index.ts';
import { writeAll } from '../net/helpers/hosts.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { config, rig } from '../driver/harness.ts';

describe('Cpu.charge: inline work', () => {
  it('occupies the core after what it has, adds no event, and delays the next work', () => {
    const e = new Engine({ seed: 1 });
    const cpu = new Cpu(e, 'h', { cores: 1 });
    const at: number[] = [];
    cpu.run(0, 1_000, () => at.push(e.now));
    // Charged at t=0 behind the 1000 ns job: busy until 1000 + 600 = 1600, no event of its own.
    expect(cpu.charge(0, 600)).toBe(1_600);
    cpu.run(0, 400, () => at.push(e.now));
    e.run();
    expect(at).toEqual([1_000, 2_000]);
    expect(cpu.busyNs(0)).toBe(2_000);
    expect(cpu.jobCount(0)).toBe(3);
    expect(() => cpu.charge(0, -1)).toThrow();
  });
});

describe('timer callbacks are charged', () => {
  it('each kernel timer and net-stack timer that fires costs timerCallbackNs on the running core', () => {
    const e = new Engine({ seed: 1 });
    const k = new Kernel(e, 'h', createHostHardware(e, 'h', { cores: 2 }), { timerCallbackNs: 300 });
    let fired = 0;
    const t = k.timer(() => fired++, 't');
    t.mod(1_000);
    const lazy = new LazyTimer(kernelNetClock(k), () => fired++, 'lazy');
    lazy.arm(5_000);
    lazy.arm(7_000); // moved, fires once
    const cancelled = k.timer(() => fired++, 'c');
    cancelled.mod(2_000);
    cancelled.del();
    e.runUntil(10_000);
    expect(fired).toBe(2);
    // Two callbacks ran (the cancelled one did not), on core 0: 2 × 300 ns.
    expect(k.hw.cpu.busyNs(0)).toBe(600);
    expect(k.hw.cpu.busyNs(1)).toBe(0);
  });

  it('costs nothing by default (a kernel built without the table)', () => {
    const e = new Engine({ seed: 1 });
    const k = new Kernel(e, 'h', createHostHardware(e, 'h', { cores: 1 }));
    k.timer(() => {}, 't').mod(1_000);
    e.run();
    expect(k.hw.cpu.busyNs(0)).toBe(0);
  });
});

describe('NIC driver per-packet protocol work comes from the table', () => {
  it('every packet sent charges netTxPacketNs, every packet received netRxPacketNs', () => {
    const costs = { ...scaledCosts(0), netTxPacketNs: 7_000, netRxPacketNs: 11_000 };
    const link = { rateBps: 10e9, propagationNs: 10_000 };
    const m = buildMachine({ hosts: [{ name: 'client', role: 'client', ip: '10.0.0.1', link }, { name: 's', role: 'server', ip: '10.0.0.2', link }] }, { seed: 1, costs });
    const c = m.client!;
    const spy = vi.spyOn(c.kernel.softirq, 'charge');
    m.host('s').net.listen(9).onAccept = (sock) => { sock.onData = () => {}; };
    const sock = c.net.tcpSocket({ noDelay: true });
    sock.connect(m.host('s').ip, 9);
    writeAll(sock, new Uint8Array(100_000), () => {});
    m.engine.runUntil(5_000_000);
    const st = c.nicDriver.stats;
    expect(st.txPackets).toBeGreaterThan(1);
    expect(st.rxPackets).toBeGreaterThan(1);
    const tx = spy.mock.calls.filter(([, ns]) => ns === 7_000).length;
    const rx = spy.mock.calls.filter(([, ns]) => ns % 11_000 === 0).reduce((a, [, ns]) => a + ns / 11_000, 0);
    expect(tx).toBe(st.txPackets);
    expect(rx).toBe(st.rxPackets);
  });
});

describe('TLS AES-GCM per byte', () => {
  it('the handshake charges its key schedule; kernel TLS charges aesGcmNsPerByte per byte sealed and opened', () => {
    const e = new Engine({ seed: 1 });
    const psk = new Uint8Array(32).fill(7);
    const charged: number[] = [];
    const cpu = { nsPerByte: DEFAULT_CPU_COSTS.aesGcmNsPerByte, charge: (ns: number) => charged.push(ns) };
    let server: TlsChannel | null = null;
    const keys: { c?: TlsKeys; s?: TlsKeys } = {};
    const client = new TlsChannel({ role: 'client', identity: 'id', psk, seed: 1, random: new Uint8Array(32).fill(1), cpu }, {
      sendRaw: (b) => server!.feed(b), established: (k) => { keys.c = k; }, failed: (r) => { throw new Error(r); },
    });
    server = new TlsChannel({ role: 'server', identity: '', lookupPsk: () => psk, seed: 1, random: new Uint8Array(32).fill(2) }, {
      sendRaw: (b) => client.feed(b), established: (k) => { keys.s = k; }, failed: (r) => { throw new Error(r); },
    });
    server.start();
    client.start();
    expect(client.open).toBe(true);
    expect(charged).toEqual([60_000]);
    charged.length = 0;
    // Client layer (charged) → server layer (not), which echoes back to the client.
    const clock = engineNetClock(e);
    const wire = (to: () => TlsSw) => ({ send: (d: Uint8Array, off: number, len: number) => { to().input(d.subarray(off, off + len)); return len; }, writable: 1 << 20, setCork: () => {}, wantWritable: () => {} });
    const up = (data: (b: Uint8Array) => void) => ({ data, writable: () => {}, error: (r: string) => { throw new Error(r); } });
    let srv: TlsSw | null = null;
    const cli = new TlsSw(wire(() => srv!), clock, cpu, up(() => {}));
    srv = new TlsSw(wire(() => cli), clock, null, up((b) => srv!.send(b, 0, b.length)));
    cli.setTx(keys.c!.tx); cli.setRx(keys.c!.rx);
    srv.setTx(keys.s!.tx); srv.setRx(keys.s!.rx);
    cli.send(new Uint8Array(4096), 0, 4096);
    e.run();
    // 4096 B sealed (0.5 ns/B: 2048 ns); the echo opened by the client: 2048 ns more.
    expect(charged).toEqual([2_048, 2_048]);
    expect(cli.stats.txCpuNs + cli.stats.rxCpuNs).toBe(4_096);
  });
});

describe('NBD driver per request', () => {
  it('charges queue_rq once per request sent and the reply work once per reply', () => {
    const r = rig(3, config({
      connectionPoolSize: 1, connectionMaxCount: 1, connectionTimeoutNs: 50_000_000,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    }), (n) => n.addServer('srv', { size: 1 << 20 }));
    r.engine.runUntil(10_000_000);
    const charged: Array<[string, number]> = [];
    r.dev.io.cpu = { queueRqNs: 600, replyNs: 1_200, charge: (ns) => charged.push(['rq', ns]), chargeReply: (ns) => charged.push(['reply', ns]) };
    r.blk.submit(REQ_OP.WRITE, 0, 4096, new Uint8Array(4096).fill(1));
    r.blk.submit(REQ_OP.READ, 65536, 4096, new Uint8Array(4096));
    r.blk.submit(REQ_OP.READ, 131072, 4096, new Uint8Array(4096));
    r.engine.runUntil(20_000_000);
    expect(r.blk.errors).toBe(0);
    // Three requests: three queue_rq charges, then three replies.
    expect(charged.filter(([k]) => k === 'rq')).toEqual([['rq', 600], ['rq', 600], ['rq', 600]]);
    expect(charged.filter(([k]) => k === 'reply')).toEqual([['reply', 1_200], ['reply', 1_200], ['reply', 1_200]]);
  });
});
