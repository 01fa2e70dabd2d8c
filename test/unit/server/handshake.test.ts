import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/index.ts';
import type { ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { Conn, Reader } from './harness.ts';

// Values from proto.md, written out by hand.
const OPT = { EXPORT_NAME: 1, ABORT: 2, LIST: 3, STARTTLS: 5, INFO: 6, GO: 7, STRUCTURED_REPLY: 8, LIST_META: 9, SET_META: 10 };
const REP = { ACK: 1, SERVER: 2, INFO: 3, META_CONTEXT: 4 };
const ERR = { UNSUP: 0x80000001, POLICY: 0x80000002, INVALID: 0x80000003, TLS_REQD: 0x80000005, UNKNOWN: 0x80000006 };
// HAS_FLAGS 1, SEND_FLUSH 4, SEND_FUA 8, SEND_TRIM 32, SEND_WRITE_ZEROES 64, CAN_MULTI_CONN 256,
// SEND_CACHE 1024, SEND_FAST_ZERO 2048: 1+4+8+32+64+256+1024+2048 = 3437; SEND_DF 128 with structured replies.
const RW_FLAGS = 3437;

const cfg = (over: Partial<ServerConfig> = {}): ServerConfig => ({
  exports: [
    { name: 'disk', description: 'main disk', store: new MemoryStore(1 << 20), blockSize: { min: 512, pref: 4096, max: 1 << 20 } },
    { name: 'ro', store: new MemoryStore(4096), readOnly: true, multiConn: false },
    { name: 'secret', store: new MemoryStore(4096), allow: ['10.0.0.9', 'psk:alice'] },
  ],
  ...over,
});

describe('server handshake', () => {
  it('greets with NBDMAGIC, IHAVEOPT and FIXED_NEWSTYLE|NO_ZEROES', () => {
    const c = new Conn(cfg());
    const r = new Reader(c.take());
    expect(r.str(8)).toBe('NBDMAGIC');
    expect(r.str(8)).toBe('IHAVEOPT');
    expect(r.u16()).toBe(3);
    expect(r.left).toBe(0);
  });

  it('answers GO with INFO_EXPORT, the requested NAME, BLOCK_SIZE and ACK, then transmits', () => {
    const c = new Conn(cfg()).handshakeStart();
    const r = c.go('disk', OPT.GO, [1]);
    const a = r.optReply();
    expect([a.option, a.type]).toEqual([OPT.GO, REP.INFO]);
    expect(a.data.u16()).toBe(0); // NBD_INFO_EXPORT
    expect(a.data.u64()).toBe(1 << 20);
    expect(a.data.u16()).toBe(RW_FLAGS);
    const n = r.optReply();
    expect(n.data.u16()).toBe(1); // NBD_INFO_NAME
    expect(n.data.str(4)).toBe('disk');
    const b = r.optReply();
    expect(b.data.u16()).toBe(3); // NBD_INFO_BLOCK_SIZE
    expect([b.data.u32(), b.data.u32(), b.data.u32()]).toEqual([512, 4096, 1 << 20]);
    expect(r.optReply().type).toBe(REP.ACK);
    expect(r.left).toBe(0);
    expect(c.session.phase).toBe('transmission');
  });

  it('INFO does not leave the option phase; read-only exports drop write flags and multi-conn', () => {
    const c = new Conn(cfg()).handshakeStart();
    const r = c.go('ro', OPT.INFO);
    const a = r.optReply().data;
    a.u16();
    expect(a.u64()).toBe(4096);
    // HAS_FLAGS 1 | READ_ONLY 2 | SEND_FLUSH 4 | SEND_FUA 8 | SEND_CACHE 1024
    expect(a.u16()).toBe(1 + 2 + 4 + 8 + 1024);
    expect(r.optReply().type).toBe(REP.ACK);
    expect(c.session.phase).toBe('handshake');
  });

  it('EXPORT_NAME replies size + flags, with 124 zero bytes unless NO_ZEROES', () => {
    const a = new Conn(cfg()).handshakeStart(3).exportName('disk');
    expect(a.b.length).toBe(10);
    expect(a.u64()).toBe(1 << 20);
    expect(a.u16()).toBe(RW_FLAGS);
    const b = new Conn(cfg()).handshakeStart(1).exportName('');
    expect(b.b.length).toBe(134);
    expect(b.u64()).toBe(1 << 20); // '' is the default (first) export
  });

  it('EXPORT_NAME of an unknown export closes the connection', () => {
    const c = new Conn(cfg()).handshakeStart();
    c.exportName('nope');
    expect(c.closed).toBe(true);
  });

  it('LIST names the exports this client may see, then ACK', () => {
    const c = new Conn(cfg()).handshakeStart();
    const r = c.option(OPT.LIST);
    const names: string[] = [];
    for (;;) {
      const rep = r.optReply();
      if (rep.type === REP.ACK) break;
      expect(rep.type).toBe(REP.SERVER);
      names.push(rep.data.str(rep.data.u32()));
    }
    expect(names).toEqual(['disk', 'ro']);
  });

  it('access lists: ERR_POLICY for others, allowed by address or by PSK identity', () => {
    const denied = new Conn(cfg()).handshakeStart().go('secret').optReply();
    expect(denied.type).toBe(ERR.POLICY);
    expect(new Conn(cfg(), '10.0.0.9').handshakeStart().go('secret').optReply().type).toBe(REP.INFO);
  });

  it('unknown export ⇒ ERR_UNKNOWN; unknown option ⇒ ERR_UNSUP; bad GO data ⇒ ERR_INVALID', () => {
    const c = new Conn(cfg()).handshakeStart();
    expect(c.go('zzz').optReply().type).toBe(ERR.UNKNOWN);
    expect(c.option(99).optReply().type).toBe(ERR.UNSUP);
    expect(c.option(OPT.GO, Uint8Array.of(0, 0, 0, 9)).optReply().type).toBe(ERR.INVALID);
    expect(c.session.phase).toBe('handshake');
  });

  it('TLS required: ERR_TLS_REQD before STARTTLS, then STARTTLS ACK, upgrade, and GO works', () => {
    const c = new Conn(cfg({ tls: 'require' })).handshakeStart();
    expect(c.go('disk').optReply().type).toBe(ERR.TLS_REQD);
    expect(c.option(OPT.LIST).optReply().type).toBe(ERR.TLS_REQD);
    const ack = c.option(OPT.STARTTLS).optReply();
    expect([ack.option, ack.type]).toEqual([OPT.STARTTLS, REP.ACK]);
    expect(c.tlsStarted).toBe(true);
    c.session.tlsReady('alice');
    expect(c.option(OPT.STARTTLS).optReply().type).toBe(ERR.INVALID);
    expect(c.go('secret').optReply().type).toBe(REP.INFO); // psk:alice is on the list
  });

  it('STARTTLS without TLS configured ⇒ ERR_UNSUP', () => {
    expect(new Conn(cfg()).handshakeStart().option(OPT.STARTTLS).optReply().type).toBe(ERR.UNSUP);
  });

  it('meta contexts: SET needs structured replies; base:allocation gets an id; LIST lists it', () => {
    const c = new Conn(cfg()).handshakeStart();
    expect(c.meta(OPT.SET_META, 'disk', ['base:allocation']).optReply().type).toBe(ERR.INVALID);
    expect(c.option(OPT.STRUCTURED_REPLY).optReply().type).toBe(REP.ACK);
    const l = c.meta(OPT.LIST_META, 'disk', []);
    const lc = l.optReply();
    expect(lc.type).toBe(REP.META_CONTEXT);
    lc.data.u32();
    expect(lc.data.str(15)).toBe('base:allocation');
    expect(l.optReply().type).toBe(REP.ACK);
    const s = c.meta(OPT.SET_META, 'disk', ['base:allocation', 'qemu:dirty-bitmap:x']);
    const sc = s.optReply();
    expect(sc.type).toBe(REP.META_CONTEXT);
    expect(sc.data.u32()).toBe(1);
    expect(s.optReply().type).toBe(REP.ACK);
    expect(s.left).toBe(0);
    const g = c.go('disk').optReply().data;
    g.u16();
    g.u64();
    expect(g.u16()).toBe(RW_FLAGS | 128); // SEND_DF once structured replies are on
  });

  it('ABORT is acknowledged and closes; unknown client flags close at once', () => {
    const c = new Conn(cfg()).handshakeStart();
    expect(c.option(OPT.ABORT).optReply().type).toBe(REP.ACK);
    expect(c.closed).toBe(true);
    const d = new Conn(cfg()).handshakeStart(0x10);
    expect(d.closed).toBe(true);
  });

  it('bad option magic is a hard disconnect', () => {
    const c = new Conn(cfg()).handshakeStart();
    c.send(new Uint8Array(16).fill(0x41));
    expect(c.closed).toBe(true);
  });

  it('accepts the handshake split into single bytes', () => {
    const c = new Conn(cfg());
    c.take();
    const bytes = [Uint8Array.of(0, 0, 0, 3)];
    for (const b of bytes) for (const x of b) c.send(Uint8Array.of(x));
    expect(c.session.noZeroes).toBe(true);
  });

  it('rejects a config with a bad block size, naming the export', () => {
    expect(() => new Conn({ exports: [{ name: 'x', store: new MemoryStore(1), blockSize: { min: 3, pref: 4096, max: 4096 } }] }))
      .toThrow(/exports\[0\] \('x'\): blockSize.min 3/);
  });

  it('optional TLS: options work in clear, STARTTLS is still offered', () => {
    const c = new Conn(cfg({ tls: 'optional' })).handshakeStart();
    expect(c.go('disk', OPT.INFO).optReply().type).toBe(REP.INFO);
    c.take();
    const ack = new Conn(cfg({ tls: 'optional' })).handshakeStart().option(OPT.STARTTLS).optReply();
    expect(ack.type).toBe(REP.ACK);
  });

  it('an old-style server: structured replies refused with ERR_UNSUP, no DF flag', () => {
    const c = new Conn(cfg({ noStructuredReplies: true })).handshakeStart();
    expect(c.option(OPT.STRUCTURED_REPLY).optReply().type).toBe(ERR.UNSUP);
    const g = c.go('disk').optReply().data;
    g.u16();
    g.u64();
    expect(g.u16()).toBe(RW_FLAGS);
  });

  it('options with data they must not carry get ERR_INVALID', () => {
    const c = new Conn(cfg()).handshakeStart();
    expect(c.option(OPT.LIST, Uint8Array.of(1)).optReply().type).toBe(ERR.INVALID);
    expect(c.option(OPT.STRUCTURED_REPLY, Uint8Array.of(1)).optReply().type).toBe(ERR.INVALID);
  });

  it('requireFixedNewstyle closes on a client without C_FIXED_NEWSTYLE', () => {
    expect(new Conn(cfg({ requireFixedNewstyle: true })).handshakeStart(2).closed).toBe(true);
    expect(new Conn(cfg()).handshakeStart(2).closed).toBe(false);
  });
});
