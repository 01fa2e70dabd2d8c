import { describe, expect, it } from 'vitest';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { TLS_HANDSHAKE_CPU_NS, TLS_NS_PER_BYTE, TlsChannel, type TlsKeys, type TlsSink } from '../../../drivers/nbd/security/tls-channel.ts';
import { TLS_HEADER, TLS_TAG } from '../../../kernel/net/tls/index.ts';
import { openRecord, sealRecord } from '../../../kernel/net/tls/record.ts';
import { config, ONE_WAY_NS, rig } from './harness.ts';
import { BS } from './workload.ts';

const MiB = 1 << 20;
const MS = 1_000_000;
const PSK = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const base = {
  connectionPoolSize: 2, connectionMaxCount: 4, connectionTimeoutNs: 50 * MS,
  servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' as const }],
};

function tlsServer(psk: string) {
  return (n: import('./harness.ts').FakeNet) => n.addServer('srv', { size: 4 * MiB, tls: 'require', psk: Buffer.from(psk, 'hex') });
}

describe('STARTTLS in the simulator', () => {
  it('with the right PSK: handshake, I/O round trip, payloads on the wire are ciphertext', () => {
    const cfg = config({ ...base, tls: { pskHex: PSK, identity: 'orion', required: true } });
    const r = rig(41, cfg, tlsServer(PSK));
    r.engine.runUntil(20 * MS);
    expect(r.dev.state).toBe('ready');
    const data = new Uint8Array(BS).fill(0xab);
    const w = r.blk.submit(REQ_OP.WRITE, 0, BS, data)!;
    r.engine.runUntil(30 * MS);
    expect(r.blk.done.get(w)).toBe(0);
    const out = new Uint8Array(BS);
    const rd = r.blk.submit(REQ_OP.READ, 0, BS, out)!;
    r.engine.runUntil(40 * MS);
    expect(r.blk.done.get(rd)).toBe(0);
    expect(out.every((b) => b === 0xab)).toBe(true);
    const slot = r.dev.conns.slots.find((c) => c.usable)!;
    expect(slot.tls?.open).toBe(true);
    // The socket's kernel TLS sealed the WRITE's payload and opened the READ's.
    expect(slot.socket!.tls!.stats.bytesSealed).toBeGreaterThan(BS);
    // Opening the 4 KiB read reply cost CPU time at TLS_NS_PER_BYTE, charged before delivery.
    const rxCpu = r.dev.conns.slots.reduce((n, c) => n + (c.socket?.tls?.stats.rxCpuNs ?? 0), 0);
    expect(rxCpu).toBeGreaterThanOrEqual(BS * TLS_NS_PER_BYTE);
  });

  it('a 4 KiB READ is one record each way: the request header, and the reply header with its payload (MSG_MORE)', () => {
    const cfg = config({ ...base, connectionPoolSize: 1, tls: { pskHex: PSK, identity: 'orion', required: true } });
    const r = rig(46, cfg, tlsServer(PSK));
    r.engine.runUntil(20 * MS);
    expect(r.dev.state).toBe('ready');
    const conn = [...r.net.servers.get('srv')!.sockets][0]!;
    // Data first, so the read is answered with data (a never-written range is a hole chunk).
    r.blk.submit(REQ_OP.WRITE, 8 * BS, BS, new Uint8Array(BS).fill(3));
    r.engine.runUntil(25 * MS);
    const cli = r.dev.conns.slots.find((c) => c.usable)!.socket!.tls!.stats;
    const srv = conn.serverKtls!.stats;
    const before = [cli.recordsSealed, cli.bytesSealed, srv.recordsSealed, srv.bytesSealed];
    const chunks: number[] = [];
    const deliver = conn.deliver.bind(conn);
    conn.deliver = (b) => { chunks.push(b.length); deliver(b); };
    const rd = r.blk.submit(REQ_OP.READ, 8 * BS, BS, new Uint8Array(BS))!;
    r.engine.runUntil(35 * MS);
    expect(r.blk.done.get(rd)).toBe(0);
    // Request: one record of the 28-byte header. Reply: one record of the structured reply's
    // OFFSET_DATA chunk, 20-byte chunk header + 8-byte offset + 4096 bytes = 4124, on the wire
    // as 5 + 4124 + 16 = 4145 bytes in one piece.
    expect([cli.recordsSealed, cli.bytesSealed, srv.recordsSealed, srv.bytesSealed].map((v, i) => v - before[i]!)).toEqual([1, 28, 1, 4_124]);
    expect(chunks).toEqual([4_145]);
  });

  it('the TLS exchange costs round trips and CPU time: ready later than without TLS', () => {
    const readyAt = (tls: boolean): number => {
      const cfg = config(tls ? { ...base, connectionPoolSize: 1, tls: { pskHex: PSK, identity: 'orion', required: true } } : { ...base, connectionPoolSize: 1 });
      const r = rig(44, cfg, tls ? tlsServer(PSK) : (n) => n.addServer('srv', { size: 4 * MiB }));
      let t = -1;
      r.engine.trace.subscribe((rec) => { if (t < 0 && rec.src === 'nbd0' && rec.kind === 'state' && (rec.data as { value: string }).value === 'ready') t = rec.t; });
      r.engine.runUntil(20 * MS);
      return t;
    };
    const plain = readyAt(false);
    const tls = readyAt(true);
    // STARTTLS option + ACK, ClientHello → ServerHello, Finished: two more round trips of the
    // fake wire (2 × 40 µs), plus the client's key schedule (TLS_HANDSHAKE_CPU_NS) before Finished.
    expect(tls - plain).toBeGreaterThanOrEqual(2 * 2 * ONE_WAY_NS + TLS_HANDSHAKE_CPU_NS);
  });

  it('TLS-required server, wrong PSK ⇒ the device fails with a clear reason and no data moves', () => {
    const cfg = config({ ...base, tls: { pskHex: PSK.replace('00', 'ff'), identity: 'orion', required: true } });
    const r = rig(42, cfg, tlsServer(PSK));
    r.engine.runUntil(20 * MS);
    expect(r.dev.state).toBe('failed');
    expect(r.dev.failureReason).toMatch(/wrong PSK/);
    const w = r.blk.submit(REQ_OP.WRITE, 0, BS, new Uint8Array(BS).fill(1))!;
    r.engine.runUntil(30 * MS);
    expect(r.blk.done.get(w)).toBe(5);
    expect(r.net.servers.get('srv')!.disk.peek(0, BS).every((b) => b === 0)).toBe(true);
    expect(r.dev.conns.slots.every((c) => c.requestsSent === 0)).toBe(true);
    // The operator fixes the key on the server and resets the device: it comes up.
    r.net.servers.get('srv')!.tlsPsk = Buffer.from(PSK.replace('00', 'ff'), 'hex');
    r.dev.resetConnection();
    r.engine.runUntil(r.engine.now + 20 * MS);
    expect(r.dev.state).toBe('ready');
  });

  it('a TLS-required server refuses a client without TLS (NBD_REP_ERR_TLS_REQD)', () => {
    const r = rig(43, config(base), tlsServer(PSK));
    r.engine.runUntil(20 * MS);
    expect(r.dev.state).toBe('failed');
    expect(r.dev.failureReason).toMatch(/tls/i);
  });

  // [nbd.tls] required: a server without TLS answers STARTTLS with an error. Required, the device
  // refuses it; not required, it goes on in the clear and data moves.
  for (const required of [true, false]) {
    it(`tls.required = ${required} against a server without TLS: ${required ? 'refused, no data moves' : 'goes on in the clear'}`, () => {
      const r = rig(45, config({ ...base, tls: { pskHex: PSK, identity: 'orion', required } }), (n) => n.addServer('srv', { size: 4 * MiB }));
      r.engine.runUntil(20 * MS);
      expect(r.dev.state).toBe(required ? 'failed' : 'ready');
      if (required) {
        expect(r.dev.failureReason).toMatch(/tls/i);
        return;
      }
      const data = new Uint8Array(BS).fill(0x5a);
      const w = r.blk.submit(REQ_OP.WRITE, 0, BS, data)!;
      const out = new Uint8Array(BS);
      r.engine.runUntil(30 * MS);
      const rd = r.blk.submit(REQ_OP.READ, 0, BS, out)!;
      r.engine.runUntil(40 * MS);
      expect([r.blk.done.get(w), r.blk.done.get(rd)]).toEqual([0, 0]);
      expect(out.every((b) => b === 0x5a)).toBe(true);
      expect(r.dev.conns.slots.every((c) => c.tls === null)).toBe(true);
    });
  }
});

describe('TlsChannel', () => {
  function pair(clientPsk: string, serverPsk: string) {
    const log: string[] = [];
    const keys: { client?: TlsKeys; server?: TlsKeys } = {};
    const ends: { client?: TlsChannel; server?: TlsChannel } = {};
    const sink = (who: 'client' | 'server', peer: () => TlsChannel): TlsSink => ({
      sendRaw: (b) => peer().feed(b),
      established: (k) => { log.push(`${who} up`); keys[who] = k; },
      failed: (reason) => log.push(`${who} failed: ${reason}`),
    });
    const client = new TlsChannel({ role: 'client', identity: 'orion', psk: Buffer.from(clientPsk, 'hex'), seed: 1, random: new Uint8Array(32).fill(1) }, sink('client', () => ends.server!));
    const server = new TlsChannel({ role: 'server', identity: '', seed: 1, random: new Uint8Array(32).fill(2), lookupPsk: (id) => (id === 'orion' ? Buffer.from(serverPsk, 'hex') : undefined) }, sink('server', () => ends.client!));
    ends.client = client;
    ends.server = server;
    server.start();
    client.start();
    return { client, server, log, keys };
  }

  it('same PSK: both sides open with matching keys; records round-trip and are not plaintext', () => {
    const { log, keys } = pair(PSK, PSK);
    expect([...log].sort()).toEqual(['client up', 'server up']);
    const msg = Buffer.from('hello nbd over tls, hello nbd over tls');
    const rec = sealRecord(keys.client!.tx, msg);
    // Header, ciphertext as long as the plaintext, tag.
    expect(rec.length).toBe(TLS_HEADER + msg.length + TLS_TAG);
    expect(Buffer.from(rec).includes(msg)).toBe(false);
    const plain = openRecord(keys.server!.rx, rec.subarray(TLS_HEADER));
    expect(Buffer.from(plain!).toString()).toBe(msg.toString());
  });

  it('nonces come from a counter: the same plaintext seals differently each time, deterministically', () => {
    const a = pair(PSK, PSK).keys.client!.tx;
    const b = pair(PSK, PSK).keys.client!.tx;
    const m = new Uint8Array(16);
    const a1 = Buffer.from(sealRecord(a, m)), a2 = Buffer.from(sealRecord(a, m));
    expect(a1.equals(a2)).toBe(false);
    expect(Buffer.from(sealRecord(b, m)).equals(a1)).toBe(true);
  });

  it('wrong PSK: the client rejects the server Finished', () => {
    const { log } = pair(PSK.replace('01', 'ee'), PSK);
    expect(log.some((l) => /client failed: .*wrong PSK/.test(l))).toBe(true);
    expect(log).not.toContain('client up');
  });
});
