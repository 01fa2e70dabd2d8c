import { describe, expect, it } from 'vitest';
import { REQ_FUA, REQ_OP } from '../../../kernel/block/types.ts';
import type { ProtocolEngine } from '../../../drivers/nbd/protocol-port.ts';
import { NBD_CMD_FLUSH, NBD_CMD_WRITE } from '../../../drivers/nbd/protocol/uapi.ts';
import { config, rig } from './harness.ts';

const MiB = 1 << 20;

function oneServer() {
  return config({
    connectionPoolSize: 4, connectionMaxCount: 8, connectionTimeoutNs: 50_000_000,
    servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
    exports: [{ name: 'disk', device: undefined, access: 'rw' }],
  });
}

describe('NbdDevice basic I/O against the simulated server', () => {
  it('negotiates, opens the pool when the server allows multi-conn, and is ready', () => {
    const r = rig(1, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB }));
    r.engine.runUntil(10_000_000);
    expect(r.dev.state).toBe('ready');
    expect(r.blk.capacity).toBe(8 * MiB);
    expect(r.dev.conns.live).toBe(4);
  });

  it('keeps one connection when the server does not advertise CAN_MULTI_CONN', () => {
    const r = rig(1, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB, multiConn: false }));
    r.engine.runUntil(10_000_000);
    expect(r.dev.state).toBe('ready');
    expect(r.dev.conns.live).toBe(1);
    expect(r.net.connects).toBe(1);
  });

  it('reads back what it wrote, and a FLUSH makes it durable', () => {
    const r = rig(2, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB }));
    r.engine.runUntil(10_000_000);
    const data = new Uint8Array(8192).map((_, i) => (i * 7 + 3) & 0xff);
    const w = r.blk.submit(REQ_OP.WRITE, 65536, 8192, data)!;
    r.engine.runUntil(20_000_000);
    expect(r.blk.done.get(w)).toBe(0);
    const f = r.blk.submit(REQ_OP.FLUSH, 0, 0, null)!;
    r.engine.runUntil(30_000_000);
    expect(r.blk.done.get(f)).toBe(0);
    const srv = r.net.servers.get('srv')!;
    expect(Buffer.from(srv.disk.peekDurable(65536, 8192)).equals(Buffer.from(data))).toBe(true);
    const out = new Uint8Array(8192);
    const rd = r.blk.submit(REQ_OP.READ, 65536, 8192, out)!;
    r.engine.runUntil(40_000_000);
    expect(r.blk.done.get(rd)).toBe(0);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  });

  it('passes FUA through when advertised: the write is durable without a FLUSH', () => {
    const r = rig(3, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB }));
    r.engine.runUntil(10_000_000);
    const data = new Uint8Array(4096).fill(0x5a);
    const w = r.blk.submit(REQ_OP.WRITE, 0, 4096, data, REQ_FUA)!;
    r.engine.runUntil(20_000_000);
    expect(r.blk.done.get(w)).toBe(0);
    expect(r.net.servers.get('srv')!.disk.peekDurable(0, 4096)[100]).toBe(0x5a);
  });

  it('emulates FUA with a FLUSH after the write when the server does not advertise it', () => {
    const r = rig(3, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB }));
    // Hide SEND_FUA from the driver: it must not rely on FUA, and must still make the write durable.
    const engine = (r.dev.protocol as unknown as { engine: ProtocolEngine }).engine;
    const handshake = engine.handshake.bind(engine);
    engine.handshake = (opts, sink) => handshake(opts, { ...sink, ready: (info) => { (info as { canFua: boolean }).canFua = false; sink.ready(info); } });
    r.engine.runUntil(10_000_000);
    const cmds: number[] = [];
    r.engine.trace.subscribe((rec) => { if (rec.kind === 'rq.send') cmds.push((rec.data as { cmd: number }).cmd); });
    const w = r.blk.submit(REQ_OP.WRITE, 0, 4096, new Uint8Array(4096).fill(0x6b), REQ_FUA)!;
    r.engine.runUntil(20_000_000);
    expect(r.blk.done.get(w)).toBe(0);
    expect(cmds).toEqual([NBD_CMD_WRITE, NBD_CMD_FLUSH]);
    expect(r.net.servers.get('srv')!.disk.peekDurable(0, 4096)[7]).toBe(0x6b);
  });

  it('maps discard and write-zeroes to TRIM and WRITE_ZEROES', () => {
    const r = rig(4, oneServer(), (n) => n.addServer('srv', { size: 8 * MiB }));
    r.engine.runUntil(10_000_000);
    r.blk.submit(REQ_OP.WRITE, 0, 8192, new Uint8Array(8192).fill(9));
    r.engine.runUntil(20_000_000);
    const z = r.blk.submit(REQ_OP.WRITE_ZEROES, 0, 4096, null)!;
    const d = r.blk.submit(REQ_OP.DISCARD, 4096, 4096, null)!;
    r.engine.runUntil(30_000_000);
    expect([r.blk.done.get(z), r.blk.done.get(d)]).toEqual([0, 0]);
    expect(r.net.servers.get('srv')!.disk.peek(0, 4096).every((b) => b === 0)).toBe(true);
  });
});

describe('pool limits, policies, permissions', () => {
  const two = (over: Partial<Parameters<typeof config>[0]> = {}) => config({
    connectionPoolSize: 16, connectionMaxCount: 6, connectionTimeoutNs: 50_000_000,
    servers: [{ name: 'a', address: undefined, port: 10809, export: 'disk' }, { name: 'b', address: undefined, port: 10809, export: 'disk' }],
    exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    ...over,
  });
  const servers = (n: import('./harness.ts').FakeNet) => { n.addServer('a', { size: 8 * MiB }); n.addServer('b', { size: 8 * MiB }); };

  it('never opens more than connection_max_count in total', () => {
    const r = rig(5, two(), servers);
    r.engine.runUntil(10_000_000);
    expect(r.dev.conns.live).toBe(6);
    expect(r.net.connects).toBe(6);
  });

  it('single policy fails over to the other server when the first one crashes', () => {
    const r = rig(6, two({ loadBalancing: false, connectionPoolSize: 1 }), servers);
    r.engine.runUntil(10_000_000);
    expect(r.dev.lb.policy).toBe('single');
    const w1 = r.blk.submit(REQ_OP.WRITE, 0, 4096, new Uint8Array(4096).fill(1))!;
    r.engine.runUntil(20_000_000);
    expect(r.blk.done.get(w1)).toBe(0);
    expect(r.net.servers.get('a')!.disk.peek(0, 1)[0]).toBe(1);
    r.net.crash('a');
    r.engine.runUntil(21_000_000);
    const w2 = r.blk.submit(REQ_OP.WRITE, 4096, 4096, new Uint8Array(4096).fill(2))!;
    r.engine.runUntil(30_000_000);
    expect(r.blk.done.get(w2)).toBe(0);
    expect(r.net.servers.get('b')!.disk.peek(4096, 1)[0]).toBe(2);
  });

  it('with failover disabled, single policy waits for the primary server instead of moving', () => {
    const r = rig(10, two({ loadBalancing: false, failoverEnabled: false, connectionPoolSize: 1, deadConnTimeoutNs: 50_000_000 }), servers);
    r.engine.runUntil(10_000_000);
    r.net.crash('a');
    r.engine.runUntil(11_000_000);
    const w = r.blk.submit(REQ_OP.WRITE, 0, 4096, new Uint8Array(4096).fill(3))!;
    r.engine.runUntil(100_000_000);
    expect(r.blk.done.get(w)).toBe(5); // EIO after dead_conn_timeout
    expect(r.net.servers.get('b')!.disk.peek(0, 1)[0]).toBe(0);
  });

  it('least-outstanding spreads a burst evenly', () => {
    // Reads must reach the servers: no local cache (it would serve some and read ahead others).
    const r = rig(7, two({ connectionMaxCount: 4, connectionPoolSize: 2, localCacheBytes: 0 }), servers);
    r.engine.runUntil(10_000_000);
    r.dev.setPolicy('least-outstanding');
    for (let i = 0; i < 40; i++) r.blk.submit(REQ_OP.READ, i * 4096, 4096, new Uint8Array(4096));
    expect(r.dev.conns.slots.map((c) => c.outstanding)).toEqual([10, 10, 10, 10]);
    r.engine.runUntil(20_000_000);
    expect(r.blk.completions).toBe(40);
  });

  it('latency-weighted sends fewer requests to the slow server', () => {
    const r = rig(9, two({ connectionMaxCount: 2, connectionPoolSize: 1, localCacheBytes: 0 }), servers);
    r.engine.runUntil(10_000_000);
    r.net.servers.get('b')!.server.faults.delayNs = 400_000;
    r.dev.setPolicy('latency-weighted');
    let left = 400;
    r.blk.onComplete = () => { if (left-- > 0) r.blk.submit(REQ_OP.READ, (left % 64) * 4096, 4096, new Uint8Array(4096)); };
    for (let i = 0; i < 8; i++) r.blk.submit(REQ_OP.READ, i * 4096, 4096, new Uint8Array(4096));
    r.engine.runUntil(2_000_000_000);
    const [a, b] = r.dev.conns.slots.map((c) => c.repliesReceived);
    // Server b answers ~10x slower (400 µs extra vs ~40 µs of wire): it should get far fewer.
    expect(a! + b!).toBeGreaterThan(400);
    expect(b!).toBeLessThan(a! / 3);
  });

  it('a read-only export refuses writes with EPERM before anything is sent', () => {
    const r = rig(8, config({
      connectionPoolSize: 1, connectionTimeoutNs: 50_000_000,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'ro' }],
    }), (n) => n.addServer('srv', { size: 8 * MiB }));
    r.engine.runUntil(10_000_000);
    const sent = r.dev.conns.slots[0]!.requestsSent;
    const w = r.blk.submit(REQ_OP.WRITE, 0, 4096, new Uint8Array(4096))!;
    r.engine.runUntil(r.engine.now + 100_000); // the completion's BLOCK softirq
    expect(r.blk.done.get(w)).toBe(1); // EPERM
    expect(r.dev.security.denied).toBe(1);
    expect(r.dev.conns.slots[0]!.requestsSent).toBe(sent);
    const rd = r.blk.submit(REQ_OP.READ, 0, 4096, new Uint8Array(4096))!;
    r.engine.runUntil(20_000_000);
    expect(r.blk.done.get(rd)).toBe(0);
  });
});
