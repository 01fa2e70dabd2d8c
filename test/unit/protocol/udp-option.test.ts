// NBD_OPT_ORION_UDP_TRANSPORT during option haggling (docs/nbd-extensions.md, "UDP transport"):
// bytes hand-written from the document, a scripted server breaking the rules, our client and server.
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { NbdServer, type ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { concat, hex, toHex } from './helpers.ts';

const IHAVEOPT = '49484156454f5054';
const REP = '0003e889045565a9';
const UDP = 0x4f524e03;
const greeting = hex(`4e42444d41474943 ${IHAVEOPT} 0003`);
const rep = (opt: number, type: number, data = '') =>
  hex(`${REP} ${opt.toString(16).padStart(8, '0')} ${type.toString(16).padStart(8, '0')} ${(data.replace(/\s/g, '').length / 2).toString(16).padStart(8, '0')} ${data}`);
// port 10809 (0x2a39), datagram 1472 (0x05c0), token 0x0102030405060708
const GRANT = '2a39 05c0 0102030405060708';

function scripted(config: P.HandshakeConfig) {
  const sent: string[] = [];
  const h = new P.NbdHandshake({ structuredReplies: false, metaContexts: [], ...config }, { send: (b) => sent.push(toHex(b)) }).start();
  h.feed(greeting);
  return { h, sent };
}

function backToBack(server: Partial<ServerConfig>) {
  const engine = new Engine({ seed: 1 });
  const srv = new NbdServer({ exports: [{ name: 'disk', store: new MemoryStore(1 << 20) }], ...server }, { name: 's', rngOf: (n) => engine.rng.get(n) });
  let h: P.NbdHandshake | null = null;
  const toClient: Uint8Array[] = [];
  const session = srv.accept({
    send: (b) => (h ? h.feed(b.slice()) : toClient.push(b.slice())),
    close: () => h?.eof(),
    schedule: (ns, fn) => void engine.schedule(ns, fn),
  }, { address: '10.0.0.2' });
  h = new P.NbdHandshake({ exportName: 'disk', extensions: { udpTransport: true } }, { send: (b) => session.receive(b.slice()) });
  h.start();
  for (const b of toClient) h.feed(b);
  return { h, session };
}

describe('the UDP option on the wire', () => {
  test('the client offers its datagram size; NBD_REP_ORION_UDP then ACK grants port, size and token', () => {
    const { h, sent } = scripted({ extensions: { udpTransport: true } });
    // IHAVEOPT, option 0x4f524e03, length 2, datagram 1472.
    expect(sent[1]).toBe(`${IHAVEOPT}4f524e030000000205c0`);
    h.feed(concat([rep(UDP, 0x4f524e02, GRANT), rep(UDP, 1)]));
    h.feed(concat([rep(7, 3, '0000 0000000000100000 0001'), rep(7, 1)]));
    expect(h.status).toBe('ready');
    expect(h.result!.udp).toEqual({ port: 10809, datagram: 1472, tokenHi: 0x01020304, tokenLo: 0x05060708 });
  });

  test('refused with ERR_UNSUP: the export opens on TCP', () => {
    const { h } = scripted({ extensions: { udpTransport: true } });
    h.feed(rep(UDP, 0x80000001));
    h.feed(concat([rep(7, 3, '0000 0000000000100000 0001'), rep(7, 1)]));
    expect(h.status).toBe('ready');
    expect(h.result!.udp ?? null).toBeNull();
  });

  test.each([
    ['ACK without the grant', [rep(UDP, 1)]],
    ['two grants', [rep(UDP, 0x4f524e02, GRANT), rep(UDP, 0x4f524e02, GRANT)]],
    ['a grant of the wrong length', [rep(UDP, 0x4f524e02, '2a39 05c0')]],
    ['a grant of port 0', [rep(UDP, 0x4f524e02, '0000 05c0 0102030405060708')]],
    ['a datagram below 568', [rep(UDP, 0x4f524e02, '2a39 0200 0102030405060708')]],
  ])('%s is a hard disconnect', (_what, replies) => {
    const { h } = scripted({ extensions: { udpTransport: true } });
    for (const r of replies) h.feed(r);
    expect(h.status).toBe('dead');
    expect(h.failure?.kind).toBe('protocol');
  });
});

describe('our client against our server', () => {
  test('a server with a UDP listener grants it; the session knows its token', () => {
    const asked: number[] = [];
    const { h, session } = backToBack({ udp: { grant: (_s, d) => { asked.push(d); return { port: 4000, datagram: Math.min(d, 1400), tokenHi: 9, tokenLo: 10 }; } } });
    expect(asked).toEqual([1472]);
    expect(h.status).toBe('ready');
    expect(h.result!.udp).toEqual({ port: 4000, datagram: 1400, tokenHi: 9, tokenLo: 10 });
    expect(session.udp).toEqual(h.result!.udp);
  });

  test('a server without one refuses with ERR_UNSUP and the export opens', () => {
    const { h, session } = backToBack({});
    expect(h.status).toBe('ready');
    expect(h.result!.extensions).toEqual([{ option: UDP, granted: false, algorithm: 0, replyType: 0x80000001 }]);
    expect(h.result!.udp ?? null).toBeNull();
    expect(session.udp).toBeNull();
  });

  test('malformed option data is refused with ERR_INVALID', () => {
    const engine = new Engine({ seed: 1 });
    const srv = new NbdServer({ exports: [{ name: 'd', store: new MemoryStore(4096) }], udp: { grant: () => null } }, { name: 's', rngOf: (n) => engine.rng.get(n) });
    const out: string[] = [];
    const s = srv.accept({ send: (b) => out.push(toHex(b)), close: () => {}, schedule: () => {} }, { address: 'x' });
    s.receive(hex('00000003'));
    s.receive(hex(`${IHAVEOPT} 4f524e03 00000001 05`));
    expect(out.at(-1)!.slice(0, 32)).toBe(`${REP}4f524e0380000003`);
  });
});
